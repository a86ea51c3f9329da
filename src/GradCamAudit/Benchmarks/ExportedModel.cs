using System.Text.Json.Nodes;
using GradCamAudit.Options;

namespace GradCamAudit.Benchmarks;

/// <summary>
/// Reads the model block the export helper prints and writes as <c>&lt;name&gt;_config.json</c> (architecture
/// torchscript, trunk and head paths relative to the file, input size, classes, layout), so <c>bench</c> measures an
/// exported model without a dataset.
/// </summary>
internal static class ExportedModel
{
    public static ModelOptions Read(string path)
    {
        JsonObject m = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new ConfigException($"{path}: not a JSON object");
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string File_(string key) => Path.GetFullPath(Path.Combine(dir, (string?)m[key] ?? throw new ConfigException($"{path}: no '{key}'")));
        int[] size = m["inputSize"]?.AsArray().Select(v => (int)v!).ToArray() ?? [224, 224];
        int[]? grid = m["tokenGrid"]?.AsArray().Select(v => (int)v!).ToArray();
        string layout = (string?)m["layout"] ?? "nchw";
        var output = layout == "tokens" ? new TrunkOutput(layout, (int?)m["prefixTokens"] ?? 1, grid?[0], grid?[1]) : new TrunkOutput(layout);
        return new ModelOptions(ConfigVocabulary.TorchScript, File_("weights"), "auto", File_("head"), (int?)m["numClasses"] ?? 4, size[0], size[1], "",
            [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], PreprocessOptions.Default, output);
    }
}
