// System.Text.Json source generation for PURE records: the one type that writes and reads their files.

using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NeuronRecord<PureRecord>))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class PureJson : JsonSerializerContext;
