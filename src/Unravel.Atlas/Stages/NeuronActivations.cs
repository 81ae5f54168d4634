// Summary activations of selected neurons over every collected input, as linear explanations and their scores need
// them (Oikarinen & Weng 2024, ICML, §3: the activation over the whole probe set, not only the top inputs). Images:
// the mean over positions, as collection pools ([N, C, H, W] → [N, C]); taken from the atlas's pooled_mean when it
// covers every input, else by one pass of the model over the dataset, stopped at the layer. Text ([B, T, D]): one row per token
// (window · T + position), by one pass. Memory: one batch of activations plus [rows, selected neurons].

using Unravel.Nn;

namespace Unravel.Atlas.Stages;

/// <summary>Activations [rows, neurons] of a layer over the atlas's inputs.</summary>
internal static class NeuronActivations
{
    /// <summary>Columns <paramref name="neurons"/> of the layer's summary activation over inputs 0 … layer.Inputs − 1.</summary>
    /// <exception cref="AnalysisException">The layer's activations are not [N, C], [N, C, …] or [N, T, D].</exception>
    public static Tensor Of(AtlasSession session, AtlasLayer layer, IReadOnlyList<int> neurons, int batch, CancellationToken cancellationToken)
    {
        int inputs = layer.Inputs, k = neurons.Count;
        bool text = session.Atlas.Dataset?.Kind is "brown" or "text";
        if (!text && session.Atlas.Has(layer.Name, "pooled_mean"))
        {
            (Tensor pooled, long[] rowInputs) = session.Atlas.Pooled(layer.Name, "mean");
            if (rowInputs.Length == inputs && rowInputs.Select((v, i) => v == i).All(b => b))
            {
                int c = pooled.Shape[1];
                ReadOnlySpan<float> p = pooled.Data;
                var v = new float[(long)inputs * k];
                for (int i = 0; i < inputs; i++)
                    for (int j = 0; j < k; j++) v[(long)i * k + j] = p[i * c + neurons[j]];
                return Tensor.FromArray(v, inputs, k);
            }
        }
        RootModule model = session.Model.Model;
        ICollectionDataset data = session.Dataset;
        model.Eval();
        float[]? values = null;
        int rowsPerInput = 1;
        using FrozenWeights frozen = model.FreezeWeights();
        for (int start = 0; start < inputs; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch, inputs - start);
            Tensor a = UpTo(model, data, layer.Name, start, count);
            float[] x = a.ToArray();
            if (text)
            {
                if (a.Rank != 3) throw new AnalysisException($"explain: layer '{layer.Name}' of a text atlas gives [{string.Join(", ", a.Shape.ToArray())}], not [B, T, D].");
                int t = a.Shape[1], d = a.Shape[2];
                rowsPerInput = t;
                values ??= new float[(long)inputs * t * k];
                for (int r = 0; r < count * t; r++)
                    for (int j = 0; j < k; j++) values[((long)start * t + r) * k + j] = x[(long)r * d + neurons[j]];
            }
            else
            {
                if (a.Rank < 2) throw new AnalysisException($"explain: layer '{layer.Name}' gives [{string.Join(", ", a.Shape.ToArray())}], not [N, C, …].");
                int c = a.Shape[1], p = 1;
                for (int s = 2; s < a.Rank; s++) p *= a.Shape[s];
                values ??= new float[(long)inputs * k];
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < k; j++)
                    {
                        double sum = 0;
                        int o = (i * c + neurons[j]) * p;
                        for (int q = 0; q < p; q++) sum += x[o + q];
                        values[(long)(start + i) * k + j] = (float)(sum / p);
                    }
            }
        }
        return Tensor.FromArray(values ?? [], inputs * rowsPerInput, k);
    }

    /// <summary>The layer's activation for inputs [start, start + count), the forward pass stopped once it fired (the
    /// layers above it and a language model's vocabulary head are not run).</summary>
    private static Tensor UpTo(RootModule model, ICollectionDataset data, string layer, int start, int count)
    {
        Tensor? captured = null;
        using (model.Hooks.Add(layer, (_, t) =>
        {
            captured = t.Clone();
            throw new StopForward();
        }))
        {
            try
            {
                data.Forward(model, start, count);
            }
            catch (StopForward)
            {
            }
        }
        return captured ?? throw new AnalysisException($"explain: layer '{layer}' did not fire in a forward pass.");
    }

    /// <summary>Ends a forward pass early, from a hook.</summary>
    private sealed class StopForward : Exception
    {
    }
}
