// Source-generated JSON of the channel split method's files (per split channel and per searched layer).

using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(NeuronRecord<SplitRecord>))]
[JsonSerializable(typeof(SplitFindFile))]
[JsonSerializable(typeof(Unravel.Interpret.ChannelSplit.ChannelSplitCard))]
internal sealed partial class SplitJson : JsonSerializerContext;
