global using Unravel;
global using Unravel.Atlas;
global using Unravel.Tensors;
