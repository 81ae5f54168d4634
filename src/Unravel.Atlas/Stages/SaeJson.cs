// Source-generated JSON of the SAE stage's provenance (snake_case, as in every method record).

using System.Text.Json.Serialization;
using Unravel.Atlas.Methods;

namespace Unravel.Atlas.Stages;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Provenance))]
internal sealed partial class SaeJson : JsonSerializerContext;
