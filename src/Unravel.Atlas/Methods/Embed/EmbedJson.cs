// System.Text.Json source generation for neuron-embedding records: the one type that writes and reads their files.

using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NeuronRecord<EmbedRecord>))]
internal sealed partial class EmbedJson : JsonSerializerContext;
