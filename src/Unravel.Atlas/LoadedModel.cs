// A model opened from what the user passed as MODEL (see ModelReference), with everything a manifest records about it.

using System.Text.Json.Nodes;
using Unravel.Nn;

namespace Unravel.Atlas;

/// <summary>A model ready to run, with where it came from.</summary>
/// <param name="Model">The model, in eval mode.</param>
/// <param name="Architecture">Registry architecture name (for an HF GPT-2 folder, the preset of its size, else "gpt2").</param>
/// <param name="Source">Full path of the weights file or folder, or a random-weights note.</param>
/// <param name="Sha256">SHA-256 of the weights file; null for random weights or folders without one file.</param>
/// <param name="RandomWeights">Whether the weights are the seeded initialisation.</param>
/// <param name="Config">The exact config (GPT-2: vocab, context, layers, heads, width), or null when the preset says it all.</param>
/// <param name="ClassNames">Class names from the model card or the checkpoint folder, or null.</param>
/// <param name="Card">The shipped model whose card described it, or null.</param>
public sealed record LoadedModel(RootModule Model, string Architecture, string Source, string? Sha256, bool RandomWeights,
    JsonObject? Config = null, IReadOnlyList<string>? ClassNames = null, ShippedModel? Card = null);
