// Source-generated JSON of the linear-explanations record (snake_case, named float literals).

using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NeuronRecord<ExplanationsRecord>))]
internal sealed partial class ExplainJson : JsonSerializerContext;
