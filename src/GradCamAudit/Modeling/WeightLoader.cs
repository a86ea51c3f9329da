using System.Runtime.InteropServices;
using System.Text.Json;
using GradCamAudit.Options;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GradCamAudit.Modeling;

/// <summary>
/// Loads weights into a built architecture from a PyTorch <c>state_dict</c> (<c>torch.save</c>, .pt/.pth), a
/// .safetensors file, or TorchSharp's own format. PyTorch and safetensors files are read into a dictionary first
/// and checked key by key and shape by shape against the model, so a mismatch is one clear error listing the
/// first offending keys with both shapes; nothing is loaded partially.
/// </summary>
public static class WeightLoader
{
    private const int Shown = 6;

    /// <summary>The format named by <c>model.weightsFormat</c>, or guessed from the extension when it is <c>auto</c>.</summary>
    public static string ResolveFormat(string path, string format) => format != "auto" ? format : Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pt" or ".pth" => "pytorch",
        ".safetensors" => "safetensors",
        _ => "torchsharp",
    };

    public static void Load(nn.Module module, string path, string format, string description)
    {
        string resolved = ResolveFormat(path, format);
        if (resolved == "torchsharp")
        {
            try
            {
                module.load(path, strict: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or EndOfStreamException or FormatException or OverflowException or ExternalException)
            {
                throw new ConfigException($"model.weights: '{path}' does not fit {description} (TorchSharp format): {ex.Message}");
            }
            return;
        }
        Dictionary<string, Tensor> state = resolved == "safetensors" ? ReadSafetensors(path) : ReadPyTorch(path);
        try
        {
            Check(module, state, path, description);
            var expected = module.state_dict();
            using (no_grad())
            {
                foreach ((string key, Tensor target) in expected)
                {
                    target.copy_(state[key].to_type(target.dtype));
                }
            }
        }
        finally
        {
            foreach (Tensor t in state.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Compares keys and shapes; throws one <see cref="ConfigException"/> listing the first mismatches of each kind.</summary>
    public static void Check(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string path, string description)
    {
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var shapes = expected.Where(kv => state.TryGetValue(kv.Key, out Tensor? t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: file {Shape(state[kv.Key])} vs model {Shape(kv.Value)}").ToList();
        if (missing.Count + unexpected.Count + shapes.Count == 0)
        {
            return;
        }
        var errors = new List<string>();
        if (shapes.Count > 0)
        {
            errors.Add($"model.weights: {shapes.Count} shape mismatch(es) between '{path}' and {description}: {string.Join("; ", shapes.Take(Shown))}");
        }
        if (missing.Count > 0)
        {
            errors.Add($"model.weights: {missing.Count} key(s) of {description} missing from '{path}': {string.Join(", ", missing.Take(Shown).Select(k => $"{k} {Shape(expected[k])}"))}");
        }
        if (unexpected.Count > 0)
        {
            errors.Add($"model.weights: {unexpected.Count} key(s) in '{path}' that {description} does not have: {string.Join(", ", unexpected.Take(Shown).Select(k => $"{k} {Shape(state[k])}"))}");
        }
        throw new ConfigException(errors);
    }

    private static Dictionary<string, Tensor> ReadPyTorch(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var table = PyTorchUnpickler.UnpickleStateDict(stream);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (object key in table.Keys)
            {
                result[(string)key] = table[key] as Tensor ?? throw new InvalidDataException($"entry '{key}' is not a tensor");
            }
            return result;
        }
        catch (Exception ex) when (ex is not ConfigException and not OutOfMemoryException)
        {
            throw new ConfigException($"model.weights: '{path}' is not a readable PyTorch state_dict (torch.save zip format), or it is truncated: {ex.Message}");
        }
    }

    /// <summary>Reads a .safetensors file: an 8-byte little-endian header length, a JSON index, then raw tensor bytes.</summary>
    public static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream);
            ulong headerLength = reader.ReadUInt64();
            if (headerLength > (ulong)Math.Min(stream.Length - 8, 100_000_000))
            {
                throw new InvalidDataException($"header length {headerLength} exceeds the file");
            }
            using JsonDocument header = JsonDocument.Parse(reader.ReadBytes((int)headerLength));
            long dataStart = 8 + (long)headerLength;
            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }
                ScalarType dtype = entry.Value.GetProperty("dtype").GetString() switch
                {
                    "F32" => ScalarType.Float32,
                    "F16" => ScalarType.Float16,
                    "BF16" => ScalarType.BFloat16,
                    "F64" => ScalarType.Float64,
                    "I64" => ScalarType.Int64,
                    "I32" => ScalarType.Int32,
                    "U8" => ScalarType.Byte,
                    string other => throw new InvalidDataException($"unsupported dtype {other} for '{entry.Name}'"),
                    _ => throw new InvalidDataException($"missing dtype for '{entry.Name}'"),
                };
                long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
                long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()).ToArray();
                // Every number of the header is checked against the file before anything is allocated: negative or
                // overflowing offsets, a shape whose size disagrees with its bytes (a hostile [1e12, 1e12] shape would
                // otherwise ask LibTorch for petabytes).
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > stream.Length - dataStart || offsets[1] - offsets[0] > int.MaxValue)
                {
                    throw new InvalidDataException($"tensor '{entry.Name}' lies outside the file (truncated?)");
                }
                long elementSize = dtype switch { ScalarType.Float64 or ScalarType.Int64 => 8, ScalarType.Float32 or ScalarType.Int32 => 4, ScalarType.Byte => 1, _ => 2 };
                long elements = 1;
                foreach (long d in shape)
                {
                    if (d < 0 || (d > 0 && elements > long.MaxValue / d / elementSize))
                    {
                        throw new InvalidDataException($"tensor '{entry.Name}' has an invalid shape [{string.Join(", ", shape)}]");
                    }
                    elements *= d;
                }
                if (elements * elementSize != offsets[1] - offsets[0])
                {
                    throw new InvalidDataException($"tensor '{entry.Name}' has {offsets[1] - offsets[0]} bytes for shape [{string.Join(", ", shape)}]");
                }
                stream.Position = dataStart + offsets[0];
                byte[] bytes = reader.ReadBytes((int)(offsets[1] - offsets[0]));
                Tensor t = empty(shape, dtype);
                if (t.NumberOfElements * t.ElementSize != bytes.Length)
                {
                    t.Dispose();
                    throw new InvalidDataException($"tensor '{entry.Name}' has {bytes.Length} bytes for shape [{string.Join(", ", shape)}]");
                }
                t.bytes = bytes;
                result[entry.Name] = t.DetachFromDisposeScope();
            }
            return result;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            foreach (Tensor t in result.Values)
            {
                t.Dispose();
            }
            throw new ConfigException($"model.weights: '{path}' is not a readable safetensors file, or it is truncated: {ex.Message}");
        }
    }

    private static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";
}
