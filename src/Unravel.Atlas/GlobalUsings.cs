global using Unravel.Interpret.Collection;
global using Unravel.Tensors;
