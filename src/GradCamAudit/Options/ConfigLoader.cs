using System.Text.Json;
using System.Text.Json.Nodes;

namespace GradCamAudit.Options;

/// <summary>
/// Reads a JSON config (comments and trailing commas allowed), resolves paths relative to the config file,
/// and validates everything in one pass: every unknown key, missing file and bad value is reported together
/// in one <see cref="ConfigException"/> before any heavy work starts.
/// </summary>
public static class ConfigLoader
{
    private static readonly string[] Devices = ["auto", "cpu", "cuda"];
    private static readonly string[] WeightFormats = ["auto", "pytorch", "safetensors", "torchsharp"];

    /// <summary>Prefix of the environment variables that override config keys (<c>GRADCAM_AUDIT__audit__batchSize=64</c>).</summary>
    public const string EnvironmentPrefix = "GRADCAM_AUDIT__";

    /// <summary>
    /// Loads and validates <paramref name="path"/>. Overrides apply before validation, in this order: environment
    /// variables <c>GRADCAM_AUDIT__section__key</c>, then <paramref name="overrides"/> (<c>--set key=value</c>, the value read
    /// as JSON, else as a string); <paramref name="outputOverride"/> replaces output.directory. Paths given by an
    /// override resolve relative to the config file, as in it.
    /// </summary>
    public static AuditOptions Load(string path, ConfigVocabulary vocabulary, string? outputOverride = null, IReadOnlyList<string>? overrides = null,
        IEnumerable<KeyValuePair<string, string>>? environment = null, List<ConfigKey>? recorder = null)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ConfigException($"config file not found: '{path}'");
        }
        var overrideErrors = new List<string>();
        JsonDocument doc;
        try
        {
            var docOptions = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
            JsonNode? node = JsonNode.Parse(File.ReadAllText(full), documentOptions: docOptions);
            if (node is JsonObject root)
            {
                var pairs = (environment ?? [])
                    .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
                    .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => (Source: "environment " + kv.Key, Key: kv.Key[EnvironmentPrefix.Length..].Replace("__", ".", StringComparison.Ordinal), kv.Value))
                    .Concat((overrides ?? []).Select(o => (Source: "--set " + o, Key: o.Contains('=', StringComparison.Ordinal) ? o.Split('=', 2)[0].Trim() : "", Value: o.Contains('=', StringComparison.Ordinal) ? o.Split('=', 2)[1] : "")));
                foreach ((string source, string key, string value) in pairs)
                {
                    ApplyOverride(root, source, key, value, overrideErrors);
                }
            }
            doc = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"config file '{path}' is not valid JSON: {ex.Message}");
        }
        using (doc)
        {
            var errors = new List<string>(overrideErrors);
            string baseDir = Path.GetDirectoryName(full)!;
            var root = new JsonSection(doc.RootElement, "", errors, recorder);
            root.String("$schema", "");
            string name = root.String("name", Path.GetFileNameWithoutExtension(full));
            if (name.Length == 0 || name is "." or ".." || name.Length > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                // The name is part of the default output path and of every report title: no separators, no "..".
                errors.Add($"name: '{name}' must be 1 to 128 characters of letters, digits, '-', '_' and '.' (not '.' or '..'): it names the output folder");
            }

            var ds = root.Section("dataset", required: true);
            DatasetSource source = DatasetBinder.Bind(ds, baseDir, errors);
            string manifest = ds.Path("manifest", baseDir, mustExist: true, required: source.Format == "csv") ?? "";
            IReadOnlyList<string> classes = ds.StringList("classes") ?? [];
            string? classesFile = ds.Path("classesFile", baseDir, mustExist: true, required: false);
            if (classesFile != null && File.Exists(classesFile))
            {
                classes = File.ReadAllLines(classesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            }
            if (classes.Count == 0 && !ds.IsMissing && classesFile == null)
            {
                errors.Add("dataset.classes: give the class names (dataset.classes or dataset.classesFile)");
            }
            if (classes.Distinct(StringComparer.Ordinal).Count() != classes.Count)
            {
                errors.Add("dataset.classes: class names must be unique");
            }

            var m = root.Section("model", required: true);
            string arch = m.String("architecture", "demo-cnn");
            if (!vocabulary.Architectures.Contains(arch))
            {
                errors.Add($"model.architecture: '{arch}' is not supported (supported: {string.Join(", ", vocabulary.Architectures)})");
            }
            string weights = m.Path("weights", baseDir, mustExist: true) ?? "";
            string weightsFormat = m.String("weightsFormat", "auto");
            if (!WeightFormats.Contains(weightsFormat))
            {
                errors.Add($"model.weightsFormat: '{weightsFormat}' is not one of {string.Join(", ", WeightFormats)}");
            }
            string? head = m.Path("head", baseDir, mustExist: true, required: false);
            if (arch == ConfigVocabulary.TorchScript && head == null && !m.IsMissing)
            {
                errors.Add("model.head: a torchscript model needs the head file (activations -> logits) next to the trunk given in model.weights");
            }
            int numClasses = m.Int("numClasses", classes.Count, 1, 100_000);
            if (classes.Count > 0 && numClasses != classes.Count)
            {
                errors.Add($"model.numClasses: {numClasses} does not match the {classes.Count} class names given");
            }
            IReadOnlyList<int> size = m.IntList("inputSize") ?? [224, 224];
            if (size.Count != 2 || size.Any(s => s < 8 || s > 4096))
            {
                errors.Add($"model.inputSize: expected [height, width] between 8 and 4096, got [{string.Join(", ", size)}]");
                size = [224, 224];
            }
            string target = m.String("targetLayer", "");
            IReadOnlyList<float> mean = m.FloatList("mean") ?? [0.485f, 0.456f, 0.406f];
            IReadOnlyList<float> std = m.FloatList("std") ?? [0.229f, 0.224f, 0.225f];
            if (mean.Count != 3)
            {
                errors.Add($"model.mean: expected 3 values (R, G, B), got {mean.Count}");
            }
            if (std.Count != 3 || std.Any(s => s <= 0))
            {
                errors.Add("model.std: expected 3 positive values (R, G, B)");
            }
            TrunkOutput trunkOutput = TrunkOutputBinder.Bind(m, arch, errors);
            var pre = m.Section("preprocess", required: false);
            string resize = pre.String("resize", "direct");
            int shorter = pre.Int("resizeShorter", 0, 0, 8192);
            string interpolation = pre.String("interpolation", "bilinear");
            double valueScale = pre.Double("valueScale", 255, 1e-6, 1e6);
            bool antialias = pre.Bool("antialias", true);
            if (!PreprocessOptions.ResizePolicies.Contains(resize))
            {
                errors.Add($"model.preprocess.resize: '{resize}' is not one of {string.Join(", ", PreprocessOptions.ResizePolicies)}");
            }
            if (!PreprocessOptions.Interpolations.Contains(interpolation))
            {
                errors.Add($"model.preprocess.interpolation: '{interpolation}' is not one of {string.Join(", ", PreprocessOptions.Interpolations)}");
            }
            if (resize == "shorter-side-crop" && shorter < Math.Max(size[0], size[1]))
            {
                errors.Add($"model.preprocess.resizeShorter: {shorter} must be at least the input size {Math.Max(size[0], size[1])} for shorter-side-crop");
            }

            var a = root.Section("audit", required: false);
            int batch = a.Int("batchSize", 32, 1, 4096);
            string device = a.String("device", "auto");
            if (!Devices.Contains(device) && !(device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out int ordinal) && ordinal >= 0))
            {
                errors.Add($"audit.device: '{device}' is not one of auto, cpu, cuda, cuda:N");
            }
            int workers = a.Int("decodeWorkers", 0, 0, 256);
            int prefetch = a.Int("prefetchBatches", 4, 1, 256);
            double lift = a.Double("offObjectLiftThreshold", 1.25, 0, 1e6);
            double tol = a.Double("pointingTolerancePx", 15.0, 0, 1e4);
            double q = a.Double("iouTopFraction", 0.15, 1e-6, 1.0);
            int partRows = a.Int("partRows", 2_000, 1, 10_000_000);
            int threads = a.Int("threads", 0, 0, 1024);
            double maxPixels = a.Double("maxImagePixels", Data.ImageDecoder.DefaultMaxImagePixels, 1, 1e12);
            int batchTimeout = a.Int("batchTimeoutSeconds", 1800, 1, 7 * 24 * 3600);
            double labelConfidence = a.Double("labelErrorMinConfidence", 0.9, 0, 1);
            double labelLift = a.Double("labelErrorMinLift", 2.0, 0, 1e6);
            double maxFileBytes = a.Double("maxFileBytes", Data.ImageDecoder.DefaultMaxFileBytes, 1024, 1e12);
            double decodeMemory = a.Double("decodeMemoryBytes", Data.DecodeBudget.DefaultBytes, 1 << 20, 1e13);

            var ex = root.Section("explain", required: false);
            IReadOnlyList<string> methods = ex.StringList("methods") ?? ExplainOptions.Default.Methods;
            IReadOnlyList<string> targets = ex.StringList("targets") ?? ExplainOptions.Default.Targets;
            IReadOnlyList<string> metrics = ex.StringList("metrics") ?? ExplainOptions.Default.Metrics;
            foreach (string method in methods.Where(m => !vocabulary.Methods.Contains(m)))
            {
                errors.Add($"explain.methods: '{method}' is not one of {string.Join(", ", vocabulary.Methods)}");
            }
            if (methods.Count == 0 || methods.Distinct(StringComparer.Ordinal).Count() != methods.Count)
            {
                errors.Add("explain.methods: give at least one method, each once (the first is primary)");
            }
            string? perturbationSample = ex.SampleSize("perturbationSample");
            int seed = ex.Int("seed", 0, 0, int.MaxValue);
            int perturbationBatch = ex.Int("perturbationBatchSize", 64, 1, 65_536);
            string? faithfulnessSample = ex.SampleSize("faithfulnessSample");
            int faithfulnessSteps = ex.Int("faithfulnessSteps", 32, 2, 4096);
            string? sanitySample = ex.SampleSize("sanitySample");
            if (methods.Count > 0 && vocabulary.IsPerturbation(methods[0]))
            {
                errors.Add($"explain.methods: '{methods[0]}' cannot be primary: perturbation methods run on a sample of the run (explain.perturbationSample); put a gradient method first");
            }
            if (methods.Any(vocabulary.IsPerturbation) && perturbationSample == null)
            {
                string[] named = methods.Where(vocabulary.IsPerturbation).ToArray();
                errors.Add($"explain.perturbationSample: {string.Join(", ", named)} {(named.Length == 1 ? "costs" : "cost")} one forward pass per target-layer channel for each image: say on how many samples (a count such as 200, or a share such as \"5%\")");
            }
            foreach (string badTarget in targets.Where(t => !TargetSpec.IsValid(t, classes)))
            {
                errors.Add($"explain.targets: '{badTarget}' is not pred, true, top<k> (k >= 1) or class:<name> of a configured class");
            }
            foreach (string metric in metrics.Where(m => !Scoring.Metrics.MetricCatalogue.Columns.Contains(m)))
            {
                errors.Add($"explain.metrics: '{metric}' is not one of {string.Join(", ", Scoring.Metrics.MetricCatalogue.Columns)}");
            }

            var g = root.Section("gates", required: false);
            var gates = new GatesOptions(
                g.OptionalDouble("maxFlaggedRateRise", 0, 100), g.OptionalDouble("maxRightForWrongReasonRateRise", 0, 100),
                g.OptionalDouble("minOnObjectRate", 0, 100), g.OptionalDouble("maxErrorRate", 0, 100),
                g.Int("minClassSamples", 30, 1, 1_000_000), g.Double("confidence", 0.95, 0.5, 0.9999),
                g.OptionalDouble("maxNewlyFlagged", 0, 1e9), g.StringMap("severity"), g.Path("acknowledged", baseDir, mustExist: true, required: false),
                g.OptionalDouble("maxNewlyFlaggedPerClass", 0, 1e9), g.OptionalInt("minAuditedRows", 0, int.MaxValue),
                g.OptionalDouble("maxLabelErrorRate", 0, 100), g.OptionalDouble("maxShortcutRate", 0, 100));
            if (gates.Acknowledged != null)
            {
                try
                {
                    Acknowledgements.Load(gates.Acknowledged); // every problem of the list now, with the config's
                }
                catch (ConfigException ackProblems)
                {
                    errors.AddRange(ackProblems.Errors);
                }
            }
            foreach ((string gate, string severity) in gates.Severity ?? new Dictionary<string, string>())
            {
                if (!GatesOptions.GateNames.Contains(gate) || severity is not "fail" and not "warn")
                {
                    errors.Add($"gates.severity: '{gate}': '{severity}' must map a gate ({string.Join(", ", GatesOptions.GateNames)}) to fail or warn");
                }
            }

            var o = root.Section("output", required: false);
            string? configuredOut = o.Path("directory", baseDir, mustExist: false, required: false);
            string maps = o.String("maps", "all");
            if (!ExplainOptions.MapPolicies.Contains(maps))
            {
                errors.Add($"output.maps: '{maps}' is not one of {string.Join(", ", ExplainOptions.MapPolicies)}");
            }
            string outDir = outputOverride != null ? Path.GetFullPath(outputOverride) : configuredOut ?? Path.Combine(baseDir, "..", "reports", name);

            var r = root.Section("report", required: false);
            int gallery = r.Int("galleryMax", 48, 0, 100_000);
            int confusionMax = r.Int("confusionMaxClasses", 40, 2, 100_000);
            string images = r.String("images", "full");
            if (!ReportOptions.ImagePolicies.Contains(images))
            {
                errors.Add($"report.images: '{images}' is not one of {string.Join(", ", ReportOptions.ImagePolicies)}");
            }
            string? templates = r.Path("templateDirectory", baseDir, mustExist: true, required: false);
            if (templates != null && Directory.Exists(templates) && !File.Exists(System.IO.Path.Combine(templates, "report.sbn")))
            {
                errors.Add($"report.templateDirectory: '{templates}' holds no report.sbn");
            }

            var fs = root.Section("findings", required: false);
            var findings = new FindingsOptions(fs.Int("minMapSize", 4, 1, 10_000), fs.Bool("acceptCoarseMaps", false), fs.Double("outlierMads", 3.0, 0.5, 20),
                fs.Bool("interventions", true), fs.Int("interventionCandidatesPerClass", 1000, 0, 100_000_000), fs.Int("interventionControlsPerClass", 50, 0, 100_000_000));

            var ss = root.Section("strategies", required: false);
            var strategies = new StrategiesOptions(ss.Bool("enabled", true), ss.Int("samplePerClass", 300, 8, 2000), ss.Int("maxStrategies", 6, 1, 20), ss.Int("gridSize", 8, 2, 32));

            root.ReportUnknownKeys();
            if (errors.Count > 0)
            {
                throw new ConfigException(errors);
            }
            return new AuditOptions(
                full, name,
                new DatasetOptions(manifest, classes, source),
                new ModelOptions(arch, weights, weightsFormat, head, numClasses, size[0], size[1], target, mean, std,
                    new PreprocessOptions(resize, shorter, interpolation, (float)valueScale, antialias), trunkOutput),
                new AuditSettings(batch, device, workers == 0 ? Math.Max(1, Environment.ProcessorCount) : workers, prefetch, lift, tol, q, partRows,
                    threads == 0 ? Math.Max(1, Environment.ProcessorCount) : threads, (long)maxPixels, batchTimeout, labelConfidence, labelLift,
                    (long)maxFileBytes, (long)decodeMemory),
                new OutputOptions(Path.GetFullPath(outDir)),
                new ReportOptions(gallery, templates, confusionMax, images),
                new ExplainOptions(methods, targets, metrics, maps, perturbationSample, seed, perturbationBatch, faithfulnessSample, faithfulnessSteps, sanitySample),
                gates,
                findings,
                strategies);
        }
    }

    /// <summary>Sets one dotted key (creating sections as needed); the value is JSON when it parses as JSON, else a string.</summary>
    private static void ApplyOverride(JsonObject root, string source, string key, string value, List<string> errors)
    {
        string[] path = key.Split('.');
        if (key.Length == 0 || path.Any(p => p.Length == 0))
        {
            errors.Add($"{source}: expected key=value with a dotted key such as audit.batchSize");
            return;
        }
        JsonObject section = root;
        foreach (string part in path[..^1])
        {
            if (section[part] is JsonObject child)
            {
                section = child;
            }
            else if (section[part] is null)
            {
                section[part] = section = new JsonObject();
            }
            else
            {
                errors.Add($"{source}: '{part}' is not a section");
                return;
            }
        }
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            parsed = JsonValue.Create(value);
        }
        section[path[^1]] = parsed;
    }
}
