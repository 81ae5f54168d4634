global using Unravel.Nn;
global using Unravel.Tensors;
