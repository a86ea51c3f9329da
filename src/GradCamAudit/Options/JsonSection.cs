using System.Text.Json;

namespace GradCamAudit.Options;

/// <summary>A config key as the loader reads it: its path, JSON type, default and range (what the JSON schema must agree with).</summary>
public sealed record ConfigKey(string Path, string Type, object? Default, double? Minimum, double? Maximum);

/// <summary>Typed, error-collecting access to one JSON object of the config; remembers which keys were read.</summary>
internal sealed class JsonSection
{
    private readonly List<ConfigKey>? recorder;

    private readonly JsonElement element;
    private readonly string prefix;
    private readonly List<string> errors;
    private readonly HashSet<string> known = new(StringComparer.Ordinal);
    private readonly List<JsonSection> children = [];

    public JsonSection(JsonElement element, string prefix, List<string> errors, List<ConfigKey>? recorder = null)
    {
        this.recorder = recorder;
        this.element = element;
        this.prefix = prefix;
        this.errors = errors;
        if (element.ValueKind is not JsonValueKind.Object and not JsonValueKind.Undefined)
        {
            errors.Add($"{(prefix.Length == 0 ? "config" : prefix.TrimEnd('.'))}: expected a JSON object");
        }
    }

    public bool IsMissing => element.ValueKind == JsonValueKind.Undefined;

    public JsonSection Section(string key, bool required)
    {
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined && required)
        {
            errors.Add($"{prefix}{key}: required section is missing");
        }
        var child = new JsonSection(e, prefix + key + ".", errors, recorder);
        Record(key, "object", null, null, null);
        children.Add(child);
        return child;
    }

    public string String(string key, string fallback)
    {
        Record(key, "string", fallback, null, null);
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined || e.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }
        if (e.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{prefix}{key}: expected a string, got {e.GetRawText()}");
            return fallback;
        }
        return e.GetString()!;
    }

    public string? Path(string key, string baseDir, bool mustExist, bool required = true)
    {
        Record(key, "string", null, null, null);
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined || e.ValueKind == JsonValueKind.Null)
        {
            if (required && !IsMissing)
            {
                errors.Add($"{prefix}{key}: required path is missing");
            }
            return null;
        }
        if (e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString()))
        {
            errors.Add($"{prefix}{key}: expected a path string, got {e.GetRawText()}");
            return null;
        }
        string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, e.GetString()!));
        if (mustExist && !File.Exists(full) && !Directory.Exists(full))
        {
            errors.Add($"{prefix}{key}: file not found: '{e.GetString()}' (resolved to '{full}')");
        }
        return full;
    }

    /// <summary>A sample size: a positive integer (a count) or a string such as "10%" (a share); null when absent.</summary>
    public string? SampleSize(string key)
    {
        Record(key, "integer|string", null, null, null);
        JsonElement e = Get(key);
        string? spec = e.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.String => e.GetString(),
            _ => "",
        };
        if (spec != null && !SampleSpec.IsValid(spec))
        {
            errors.Add($"{prefix}{key}: {e.GetRawText()} is neither a positive count nor a percentage in (0%, 100%] such as \"10%\"");
            return null;
        }
        return spec;
    }

    public int Int(string key, int fallback, int min, int max)
    {
        Record(key, "integer", fallback, min, max);
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined)
        {
            return fallback;
        }
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v))
        {
            errors.Add($"{prefix}{key}: expected an integer, got {e.GetRawText()}");
            return fallback;
        }
        if (v < min || v > max)
        {
            errors.Add($"{prefix}{key}: {v} is out of range [{min}, {max}]");
            return fallback;
        }
        return v;
    }

    public double Double(string key, double fallback, double min, double max)
    {
        Record(key, "number", fallback, min, max);
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined)
        {
            return fallback;
        }
        if (e.ValueKind != JsonValueKind.Number)
        {
            errors.Add($"{prefix}{key}: expected a number, got {e.GetRawText()}");
            return fallback;
        }
        double v = e.GetDouble();
        if (v < min || v > max)
        {
            errors.Add($"{prefix}{key}: {v} is out of range [{min}, {max}]");
            return fallback;
        }
        return v;
    }

    public bool Bool(string key, bool fallback)
    {
        Record(key, "boolean", fallback, null, null);
        JsonElement e = Get(key);
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return fallback;
        }
        if (e.ValueKind is not JsonValueKind.True and not JsonValueKind.False)
        {
            errors.Add($"{prefix}{key}: expected true or false, got {e.GetRawText()}");
            return fallback;
        }
        return e.GetBoolean();
    }

    /// <summary>An optional integer in [min, max]: null when absent.</summary>
    public int? OptionalInt(string key, int min, int max)
    {
        Record(key, "integer", null, min, max);
        JsonElement e = Get(key);
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return null;
        }
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v) || v < min || v > max)
        {
            errors.Add($"{prefix}{key}: expected an integer in [{min}, {max}], got {e.GetRawText()}");
            return null;
        }
        return v;
    }

    /// <summary>An optional number in [min, max]: null when absent.</summary>
    public double? OptionalDouble(string key, double min, double max)
    {
        Record(key, "number", null, min, max);
        JsonElement e = Get(key);
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return null;
        }
        if (e.ValueKind != JsonValueKind.Number)
        {
            errors.Add($"{prefix}{key}: expected a number, got {e.GetRawText()}");
            return null;
        }
        double v = e.GetDouble();
        if (v < min || v > max)
        {
            errors.Add($"{prefix}{key}: {v} is out of range [{min}, {max}]");
            return null;
        }
        return v;
    }

    /// <summary>An object of string values (name → value); null when absent.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string key)
    {
        Record(key, "object", null, null, null);
        JsonElement e = Get(key);
        if (e.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return null;
        }
        if (e.ValueKind != JsonValueKind.Object || e.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
        {
            errors.Add($"{prefix}{key}: expected an object of strings, got {e.GetRawText()}");
            return null;
        }
        return e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    public IReadOnlyList<string>? StringList(string key) => List(key, JsonValueKind.String, x => x.GetString()!, "strings");

    public IReadOnlyList<int>? IntList(string key) => List(key, JsonValueKind.Number, x => x.TryGetInt32(out int v) ? v : -1, "integers");

    public IReadOnlyList<float>? FloatList(string key) => List(key, JsonValueKind.Number, x => (float)x.GetDouble(), "numbers");

    public void ReportUnknownKeys()
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in element.EnumerateObject())
            {
                if (!known.Contains(p.Name))
                {
                    string near = known.Count > 0 ? $" (known keys here: {string.Join(", ", known.Order(StringComparer.Ordinal))})" : "";
                    errors.Add($"{prefix}{p.Name}: unknown key{near}");
                }
            }
        }
        foreach (JsonSection c in children)
        {
            c.ReportUnknownKeys();
        }
    }

    private IReadOnlyList<T>? List<T>(string key, JsonValueKind kind, Func<JsonElement, T> read, string what)
    {
        Record(key, "array", null, null, null);
        JsonElement e = Get(key);
        if (e.ValueKind == JsonValueKind.Undefined || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind != kind))
        {
            errors.Add($"{prefix}{key}: expected an array of {what}, got {e.GetRawText()}");
            return null;
        }
        return e.EnumerateArray().Select(read).ToArray();
    }

    private void Record(string key, string type, object? fallback, double? min, double? max)
    {
        if (recorder != null && !recorder.Any(k => k.Path == prefix + key))
        {
            recorder.Add(new ConfigKey(prefix + key, type, fallback, min, max));
        }
    }

    private JsonElement Get(string key)
    {
        known.Add(key);
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(key, out JsonElement v) ? v : default;
    }
}
