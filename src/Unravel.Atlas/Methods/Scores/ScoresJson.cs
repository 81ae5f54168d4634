// Source-generated JSON of the scores record (snake_case, named float literals).

using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NeuronRecord<ScoresRecord>))]
internal sealed partial class ScoresJson : JsonSerializerContext;
