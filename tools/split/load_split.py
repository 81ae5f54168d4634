"""Load a channel-split model written by Unravel (`model.pth`, a plain state_dict) into PyTorch.

Channel splitting (Hesse, Fischer, Schaub-Meyer, Roth 2025, "Disentangling Polysemantic Channels in Convolutional
Neural Networks", arXiv 2504.12939) replaces one convolution at path P by nn.Sequential(expanded, merge):
  P.0.weight [O+2, C, K, K] (+ P.0.bias): the original rows, with row c = concept 1, row O = concept 2, row O+1 = overlap
              (a grouped convolution is stored dense, groups=1, zeros outside each row's group);
  P.1.weight [O, O+2, 1, 1]: the merge, identity plus +1 / -1 that restores channel c.
apply_split() makes that replacement in any nn.Module whose module at P is an nn.Conv2d, then loads the state_dict.

Usage as a library:
    from load_split import load_split
    model = load_split(torchvision.models.resnet18(num_classes=10), "model.pth")
Usage from the shell (torchvision architectures):
    /usr/bin/python3 tools/split/load_split.py model.pth --arch resnet18 --classes 1000
"""
import argparse

import torch
from torch import nn


def split_paths(state_dict, model=None):
    """Module paths P stored as a split: P.0.weight and P.1.weight present, P.weight absent, and (given a model) an
    nn.Conv2d at P in it (a shortcut's Sequential(conv, bn) has the same keys)."""
    paths = []
    for key in state_dict:
        if key.endswith(".0.weight"):
            p = key[: -len(".0.weight")]
            if p + ".1.weight" in state_dict and p + ".weight" not in state_dict and (
                    model is None or isinstance(_module(model, p), nn.Conv2d)):
                paths.append(p)
    return paths


def _module(model, path):
    try:
        return model.get_submodule(path)
    except AttributeError:
        return None


def apply_split(model, state_dict):
    """Replaces each split conv of `state_dict` in `model` by Sequential(expanded, merge); returns the paths."""
    paths = split_paths(state_dict, model)
    for p in paths:
        parent_path, _, name = p.rpartition(".")
        parent = model.get_submodule(parent_path) if parent_path else model
        conv = getattr(parent, name)
        expanded_w = state_dict[p + ".0.weight"]
        rows = conv.out_channels + 2
        if tuple(expanded_w.shape) != (rows, conv.in_channels) + tuple(conv.kernel_size):
            raise ValueError("split: %s.0.weight has shape %s, expected %s"
                             % (p, tuple(expanded_w.shape), (rows, conv.in_channels) + tuple(conv.kernel_size)))
        expanded = nn.Conv2d(conv.in_channels, rows, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                             groups=1, bias=conv.bias is not None)
        merge = nn.Conv2d(rows, conv.out_channels, 1, bias=False)
        setattr(parent, name, nn.Sequential(expanded, merge))
    model.load_state_dict(state_dict)
    return paths


def load_split(model, path):
    """torch.load(path) and apply_split into `model` (built with the source architecture); returns the model in eval mode."""
    state_dict = torch.load(path, map_location="cpu")
    apply_split(model, state_dict)
    return model.eval()


def main():
    import torchvision
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pth")
    ap.add_argument("--arch", required=True, help="a torchvision.models constructor name, e.g. resnet18, vgg16")
    ap.add_argument("--classes", type=int, default=1000)
    args = ap.parse_args()
    model = getattr(torchvision.models, args.arch)(num_classes=args.classes)
    load_split(model, args.pth)
    paths = split_paths(torch.load(args.pth, map_location="cpu"), model)
    print("loaded %s into %s; split convolutions: %s" % (args.pth, args.arch, ", ".join(paths)))


if __name__ == "__main__":
    main()
