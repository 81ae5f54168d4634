global using Unravel.Tensors;
