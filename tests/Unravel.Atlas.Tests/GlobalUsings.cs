global using Unravel;
global using Unravel.Atlas;
