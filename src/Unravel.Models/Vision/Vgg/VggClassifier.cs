// VGG's head, torchvision's `classifier` Sequential: Linear(C·7·7, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU,
// Dropout, Linear(4096, classes) at indices 0 … 6.

using Unravel.Nn.Layers;

namespace Unravel.Models.Vision;

/// <summary>Three fully connected layers with ReLU and dropout; every layer's output is a hook point ("classifier.N").</summary>
public sealed class VggClassifier : Module
{
    public VggClassifier(WeightSource ws, int inFeatures, int hidden, int classes, float dropout) : base(ws)
    {
        Fc0 = Child(new Linear(ws.At(0), inFeatures, hidden));
        Relu1 = Child(new Relu(ws.At(1)));
        Dropout2 = Child(new Dropout(ws.At(2), dropout, seed: 2));
        Fc3 = Child(new Linear(ws.At(3), hidden, hidden));
        Relu4 = Child(new Relu(ws.At(4)));
        Dropout5 = Child(new Dropout(ws.At(5), dropout, seed: 5));
        Fc6 = Child(new Linear(ws.At(6), hidden, classes));
    }

    public Linear Fc0 { get; }
    public Relu Relu1 { get; }
    public Dropout Dropout2 { get; }
    public Linear Fc3 { get; }
    public Relu Relu4 { get; }
    public Dropout Dropout5 { get; }
    public Linear Fc6 { get; }

    public Tensor Forward(Tensor x) // [N, C·7·7]
    {
        x = Dropout2.Forward(Relu1.Forward(Fc0.Forward(x))); // [N, Hidden]
        x = Dropout5.Forward(Relu4.Forward(Fc3.Forward(x))); // [N, Hidden]
        return Output(Fc6.Forward(x));                       // [N, Classes]
    }
}
