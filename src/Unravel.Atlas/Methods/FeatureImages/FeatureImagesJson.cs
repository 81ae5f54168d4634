// Source-generated JSON of the feature visualisation index files.

using System.Text.Json.Serialization;

namespace Unravel.Atlas.Methods;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(FeatureImagesFile))]
internal sealed partial class FeatureImagesJson : JsonSerializerContext;
