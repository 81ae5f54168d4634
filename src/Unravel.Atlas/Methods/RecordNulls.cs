// System.Text.Json fills a record's constructor from whatever the file holds: a property left out or written as null
// arrives as null even where the record's type says it cannot be, and so does a null element of an array. A method record
// read from an atlas is checked once, here, against its serializer's own metadata, so that the report, the explorer and
// the stages can rely on the declared types (reference: System.Text.Json contract metadata, JsonTypeInfo / JsonPropertyInfo).

using System.Collections;
using System.Text.Json.Serialization.Metadata;

namespace Unravel.Atlas.Methods;

/// <summary>Finds a null where a deserialised record's type does not allow one.</summary>
internal static class RecordNulls
{
    /// <summary>The JSON path of the first null in <paramref name="value"/> that its contract does not allow (a property not
    /// annotated nullable, or an element of an array or a dictionary value), or null when there is none.</summary>
    public static string? Find(object value, JsonTypeInfo info) => Find(value, info, "$");

    private static string? Find(object value, JsonTypeInfo info, string path)
    {
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (JsonPropertyInfo property in info.Properties)
                {
                    if (property.Get is null) continue;
                    string at = $"{path}.{property.Name}";
                    if (property.Get(value) is not { } v)
                    {
                        if (!property.IsGetNullable && !IsNullableValue(property.PropertyType)) return at;
                        continue;
                    }
                    if (Find(v, info.Options.GetTypeInfo(property.PropertyType), at) is { } inner) return inner;
                }
                return null;
            case JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary when info.ElementType is { } element:
                if (element.IsValueType && !IsNullableValue(element)) return null;   // numbers: nothing can be null
                JsonTypeInfo elementInfo = info.Options.GetTypeInfo(element);
                int i = 0;
                foreach (object? item in value is IDictionary d ? d.Values : (IEnumerable)value)
                {
                    string at = $"{path}[{i++}]";
                    if (item is null) return at;
                    if (Find(item, elementInfo, at) is { } inner) return inner;
                }
                return null;
            default:
                return null;   // numbers, strings, JsonObject options: any value the JSON holds is one
        }
    }

    private static bool IsNullableValue(Type type) => Nullable.GetUnderlyingType(type) is not null;
}
