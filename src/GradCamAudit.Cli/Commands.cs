using System.CommandLine;
using System.Runtime.InteropServices;
using GradCamAudit.Demo;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

/// <summary>The command line: verbs, options and the mapping of failures to exit codes.</summary>
public static class Commands
{
    /// <summary>Finished (sample errors allowed, counted and reported).</summary>
    public const int Ok = 0;

    /// <summary>Runtime failure.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>Config or usage error.</summary>
    public const int UsageError = 2;

    /// <summary>A quality gate failed.</summary>
    public const int GateFailed = 3;

    public static RootCommand Build()
    {
        var root = new RootCommand("gradcam-audit: audit a labelled image dataset with Grad-CAM against object masks");
        root.Options.Add(Verbose);
        root.Options.Add(Quiet);
        root.Options.Add(LogFormat);
        root.Options.Add(FailOnInconclusive);

        var config = new Option<string>("--config") { Description = "Audit config (JSON).", Required = true };
        var output = new Option<string?>("--output") { Description = "Output folder (default: output.directory from the config)." };
        var limit = new Option<long?>("--limit") { Description = "Audit only the first N data rows of the manifest." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a previous run in a non-empty output folder (only the run's own files are removed)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the killed or failed run in the output folder after its last committed part." };
        var auditTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var set = new Option<string[]>("--set") { Description = "Override a config key, repeatable: --set audit.batchSize=64 (values read as JSON, else as strings; after GRADCAM_AUDIT__section__key environment variables).", AllowMultipleArgumentsPerToken = false };
        var auditBaseline = new Option<string?>("--baseline") { Description = "A previous run folder to compare with (comparison.json, comparison.parquet) and gate against." };
        var auditHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders: the report charts the headline figures over them." };
        var auditHistoryCount = new Option<int>("--history-count") { Description = "How many earlier runs the trend chart shows.", DefaultValueFactory = _ => 30 };
        var auditFailOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var auditFailIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated (small class, no baseline)." };
        var shard = new Option<string?>("--shard") { Description = "Audit one shard, I/N: rows with (row - 1) mod N == I, into <output>/shard-I-of-N/ ('auto': index and count from the job environment)." };
        var shardIndex = new Option<int?>("--shard-index") { Description = "Shard index I (default: JOB_COMPLETION_INDEX, or SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN)." };
        var shardCount = new Option<int?>("--shard-count") { Description = "Shard count N (default: SLURM_ARRAY_TASK_COUNT or GRADCAM_AUDIT_SHARD_COUNT)." };
        var audit = new Command("audit", "Run the audit and write results/, errors/, errors.csv, run.json and report.html.")
        {
            config, output, limit, overwrite, resume, auditTemplates, set, shard, shardIndex, shardCount, auditBaseline, auditFailOnWarn, auditFailIfNotEvaluated, auditHistory, auditHistoryCount,
        };
        audit.SetAction((pr, ct) => Guard(pr, async log =>
        {
            if (pr.GetValue(resume) && pr.GetValue(overwrite))
            {
                throw new UsageException("--resume and --overwrite exclude each other: --resume continues the run in the folder, --overwrite replaces it");
            }
            AuditOptions options = ConfigLoader.Load(pr.GetValue(config)!, pr.GetValue(output), pr.GetValue(set) ?? [], EnvironmentVariables());
            long? n = pr.GetValue(limit);
            if (n is <= 0)
            {
                throw new UsageException($"--limit must be positive, got {n}");
            }
            ShardSpec? part = ShardResolver.Resolve(pr.GetValue(shard), pr.GetValue(shardIndex), pr.GetValue(shardCount), Environment.GetEnvironmentVariable);
            string? baselineDir = RunFolderOption(pr.GetValue(auditBaseline), "--baseline");
            HistoryOptions? history = History(pr.GetValue(auditHistory), pr.GetValue(auditHistoryCount));
            RunManifest? finished = null;
            await CliLogging.WithProgressAsync(log, live: !pr.GetValue(Quiet) && pr.GetValue(LogFormat) != "json", async progress =>
                finished = await AuditRunner.RunAsync(options, new RunRequest(n, pr.GetValue(overwrite), pr.GetValue(resume), TemplatesFolder(pr.GetValue(auditTemplates)), part, progress, history), log, ct)
                    .ConfigureAwait(false)).ConfigureAwait(false);
            if (part != null && (baselineDir != null || options.GatesSettings.Any))
            {
                // A shard's rates are a third of the evidence: gating it would fail (and retry) shards of a good night.
                log.LogInformation("shard {Shard}: gates and --baseline are evaluated by merge on the merged run, not per shard", part);
            }
            else if (baselineDir != null || options.GatesSettings.Any)
            {
                Gate(GradCamAudit.Gates.RunComparer.Run(new RunFolder(finished!.Config.Output.Directory).Directory, baselineDir, log, history, TemplatesFolder(pr.GetValue(auditTemplates))),
                    pr.GetValue(auditFailOnWarn), pr.GetValue(auditFailIfNotEvaluated), pr.GetValue(FailOnInconclusive));
            }
        }));

        var baseline = new Option<string>("--baseline") { Description = "The earlier run folder.", Required = true };
        var current = new Option<string>("--current") { Description = "The later run folder (comparison files are written into it).", Required = true };
        var failOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var failIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated." };
        var compareTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var compare = new Command("compare", "Compare two run folders night over night and evaluate the current run's gates (exit 3 when one fails).") { baseline, current, failOnWarn, failIfNotEvaluated, compareTemplates };
        compare.SetAction((pr, ct) => Guard(pr, log =>
        {
            Gate(GradCamAudit.Gates.RunComparer.Run(RunFolderOption(pr.GetValue(current), "--current")!, RunFolderOption(pr.GetValue(baseline), "--baseline"), log, null, TemplatesFolder(pr.GetValue(compareTemplates))),
                pr.GetValue(failOnWarn), pr.GetValue(failIfNotEvaluated), pr.GetValue(FailOnInconclusive));
        }));
        root.Subcommands.Add(compare);

        var suggestRun = new Option<string>("--run") { Description = "A run folder whose rates the gates start from.", Required = true };
        var margin = new Option<double>("--margin") { Description = "Points of slack around today's rates.", DefaultValueFactory = _ => 5.0 };
        var suggest = new Command("suggest-gates", "Suggest a gates section from a run's own rates (printed, and written to suggested-gates.json in the run folder).") { suggestRun, margin };
        suggest.SetAction((pr, ct) => Guard(pr, log =>
        {
            string dir = RunFolderOption(pr.GetValue(suggestRun), "--run")!;
            double m = pr.GetValue(margin);
            if (m is < 0 or > 100)
            {
                throw new UsageException($"--margin must be between 0 and 100 points, got {m}");
            }
            string json = GradCamAudit.Gates.GateSuggester.ToJson(GradCamAudit.Gates.GateSuggester.Suggest(GradCamAudit.Gates.RunRates.Read(dir), m));
            File.WriteAllText(Path.Combine(dir, "suggested-gates.json"), json);
            Console.Out.WriteLine(json);
            log.LogInformation("suggested gates written to {File}: review them, then copy the section into the config", Path.Combine(dir, "suggested-gates.json"));
        }));
        root.Subcommands.Add(suggest);

        var mergeOut = new Option<string>("--output") { Description = "Folder for the merged run.", Required = true };
        var mergeOverwrite = new Option<bool>("--overwrite") { Description = "Replace a previous run in the output folder." };
        var mergeTemplates = new Option<string?>("--templates") { Description = "Folder holding a report.sbn that overrides the embedded template." };
        var shardDirs = new Argument<string[]>("shards") { Description = "The shard run folders (shard-I-of-N), all of one audit.", Arity = ArgumentArity.ZeroOrMore };
        var shardsIn = new Option<string?>("--shards-in") { Description = "Instead of listing them: the folder the shards were given as --output (its shard-I-of-N folders are merged)." };
        var mergeShardCount = new Option<int?>("--shard-count") { Description = "With --shards-in: the audit's shard count N (default: the only N found)." };
        var mergeBaseline = new Option<string?>("--baseline") { Description = "A previous run folder: compare the merged run with it and gate against it." };
        var mergeHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders for the trend chart." };
        var mergeFailOnWarn = new Option<bool>("--fail-on-warn") { Description = "Exit 3 also when a gate of severity warn is beyond its limit." };
        var mergeFailIfNotEvaluated = new Option<bool>("--fail-if-not-evaluated") { Description = "Exit 3 also when a gate could not be evaluated." };
        var merge = new Command("merge", "Merge the shard run folders of one audit into one run folder (results, errors, run.json, report), checking that every row is covered once, then evaluate the gates on it (exit 3 when one fails).")
        {
            mergeOut, mergeOverwrite, mergeTemplates, shardDirs, shardsIn, mergeShardCount, mergeBaseline, mergeHistory, mergeFailOnWarn, mergeFailIfNotEvaluated,
        };
        merge.SetAction((pr, ct) => Guard(pr, async log =>
        {
            string[] listed = pr.GetValue(shardDirs) ?? [];
            string? root = pr.GetValue(shardsIn);
            if ((root == null) == (listed.Length == 0))
            {
                throw new UsageException("merge: give the shard folders, or --shards-in DIR (not both)");
            }
            IReadOnlyList<string> folders = root != null ? ShardFolders.Under(root, pr.GetValue(mergeShardCount)) : listed;
            string? baselineDir = RunFolderOption(pr.GetValue(mergeBaseline), "--baseline");
            HistoryOptions? history = History(pr.GetValue(mergeHistory), 30);
            RunManifest merged = await RunMerger.MergeAsync(pr.GetValue(mergeOut)!, folders, pr.GetValue(mergeOverwrite), TemplatesFolder(pr.GetValue(mergeTemplates)), log, ct).ConfigureAwait(false);
            if (baselineDir != null || merged.Config.GatesSettings.Any)
            {
                Gate(GradCamAudit.Gates.RunComparer.Run(new RunFolder(pr.GetValue(mergeOut)!).Directory, baselineDir, log, history, TemplatesFolder(pr.GetValue(mergeTemplates))),
                    pr.GetValue(mergeFailOnWarn), pr.GetValue(mergeFailIfNotEvaluated), pr.GetValue(FailOnInconclusive));
            }
        }));
        root.Subcommands.Add(merge);
        root.Subcommands.Add(audit);

        var validateConfig = new Option<string>("--config") { Description = "Audit config (JSON).", Required = true };
        var validateSet = new Option<string[]>("--set") { Description = "Override a config key, repeatable (as for audit)." };
        var validate = new Command("validate", "Check the config, the manifest and every sample's files (headers only, no model, no pixels): problems on stdout in errors.csv's columns; exit 2 when any.")
        {
            validateConfig, validateSet,
        };
        validate.SetAction((pr, ct) => Guard(pr, log =>
        {
            AuditOptions options = ConfigLoader.Load(pr.GetValue(validateConfig)!, null, pr.GetValue(validateSet) ?? [], EnvironmentVariables());
            var dataset = GradCamAudit.Data.Sources.SampleSources.Open(options.Dataset, options.Audit.MaxImagePixels);
            var decoder = new GradCamAudit.Data.ImageDecoder(options.Model.InputHeight, options.Model.InputWidth, options.Model.Preprocess, options.Audit.MaxImagePixels,
                options.Dataset.SourceSettings.ExifOrientation, maxFileBytes: options.Audit.MaxFileBytes);
            var problems = GradCamAudit.Data.DatasetValidator.Validate(dataset, decoder, options.Audit.DecodeWorkers).ToList();
            using (var buffer = new MemoryStream())
            {
                GradCamAudit.Results.PartCommitter.WriteErrors(buffer, problems);
                Console.Out.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }
            log.LogInformation("{Problems} problem(s) found; headers were read, pixels were not: truncated pixel data shows only in the audit", problems.Count);
            if (problems.Count > 0)
            {
                throw new UsageException($"validate: {problems.Count} row(s) would land in errors.csv ({string.Join(", ", problems.GroupBy(p => p.ReasonCode).Select(g => $"{g.Count()} {g.Key}"))})");
            }
        }));
        root.Subcommands.Add(validate);

        var run = new Option<string>("--run") { Description = "A finished run's output folder.", Required = true };
        var templates = new Option<string?>("--templates") { Description = "Folder of Scriban templates overriding the embedded ones." };
        var reportHistory = new Option<string?>("--history") { Description = "A folder of earlier run folders for the trend chart." };
        var reportHistoryCount = new Option<int>("--history-count") { Description = "How many earlier runs the trend chart shows.", DefaultValueFactory = _ => 30 };
        var report = new Command("report", "Re-render report.html from a finished run's results (no model needed).") { run, templates, reportHistory, reportHistoryCount };
        report.SetAction((pr, ct) => Guard(pr, log =>
        {
            string path = ReportBuilder.Render(Path.GetFullPath(pr.GetValue(run)!), TemplatesFolder(pr.GetValue(templates)), null,
                History(pr.GetValue(reportHistory), pr.GetValue(reportHistoryCount)));
            log.LogInformation("report: {Report}", path);
            return Task.CompletedTask;
        }));
        root.Subcommands.Add(report);

        var dataOut = new Option<string>("--output") { Description = "Folder for manifest.csv, images/ and masks/.", Required = true };
        var makeDemo = new Command("demo-data", "Regenerate the demo audit split (deterministic: identical pixels on every machine).") { dataOut };
        makeDemo.SetAction((pr, ct) => Guard(pr, log =>
        {
            int count = DemoDataset.WriteAuditSplit(pr.GetValue(dataOut)!);
            log.LogInformation("wrote {Count} demo samples to {Folder}", count, pr.GetValue(dataOut));
            return Task.CompletedTask;
        }));
        root.Subcommands.Add(makeDemo);

        var noiseOut = new Option<string>("--output") { Description = "Folder to write the label-noise demo split into.", Required = true };
        var makeNoise = new Command("demo-label-noise", "Write the label-noise known answer: a fresh demo split with a seeded 10% of the clean labels flipped.") { noiseOut };
        makeNoise.SetAction((pr, ct) => Guard(pr, log =>
        {
            (int count, int flipped) = LabelNoiseDemo.Write(pr.GetValue(noiseOut)!);
            log.LogInformation("wrote {Count} samples ({Flipped} clean labels flipped) to {Folder}", count, flipped, pr.GetValue(noiseOut));
            return Task.CompletedTask;
        }));
        root.Subcommands.Add(makeNoise);

        var weightsOut = new Option<string>("--output") { Description = "Where to save the demo CNN weights (TorchSharp format).", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs.", DefaultValueFactory = _ => 6 };
        var perClass = new Option<int>("--per-class") { Description = "Training samples per class.", DefaultValueFactory = _ => 600 };
        var train = new Command("train-demo", "Train the demo CNN on the demo's training split (with its planted shortcut).") { weightsOut, epochs, perClass };
        train.SetAction((pr, ct) => Guard(pr, log =>
        {
            Torch.Initialise();
            DemoTrainer.Train(pr.GetValue(weightsOut)!, pr.GetValue(perClass), pr.GetValue(epochs), Lines(log));
            return Task.CompletedTask;
        }));
        root.Subcommands.Add(train);
        root.Subcommands.Add(BenchCommand());
        return root;
    }

    private static Command BenchCommand()
    {
        var models = new Option<string>("--models") { Description = "Comma-separated architectures for the step benchmark (\"none\": skip it).", DefaultValueFactory = _ => "demo-cnn,resnet18,resnet50" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,8,16" };
        var size = new Option<int>("--size") { Description = "Input size (the demo CNN runs at 64).", DefaultValueFactory = _ => 224 };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds per method (median reported), interleaved.", DefaultValueFactory = _ => 5 };
        var e2eSamples = new Option<int>("--e2e-samples") { Description = "Default sample count of the end-to-end synthetic audits (0: skip them).", DefaultValueFactory = _ => 0 };
        var e2eModels = new Option<string>("--e2e-models") { Description = "End-to-end audits as model:size[:samples], comma-separated.", DefaultValueFactory = _ => "demo-cnn:64,resnet18:224" };
        var e2eBatch = new Option<int>("--e2e-batch") { Description = "Batch size of the end-to-end audits.", DefaultValueFactory = _ => 16 };
        var work = new Option<string?>("--work") { Description = "Work folder for synthetic data (default: a temp folder)." };
        var checks = new Option<string>("--sampled-checks") { Description = "Sampled checks (perturbation methods, faithfulness, sanity) as model:size, comma-separated (\"none\": skip).", DefaultValueFactory = _ => "none" };
        var perMethod = new Option<string>("--per-method") { Description = "Each gradient method alone against inference, as model:batch, comma-separated (\"none\": skip).", DefaultValueFactory = _ => "none" };
        var checkImages = new Option<int>("--sampled-images") { Description = "Images timed per sampled check (median reported).", DefaultValueFactory = _ => 3 };
        var bench = new Command("bench", "Measure plain inference, the audit step and the hook + full backward baseline; optionally whole audits.")
        {
            models, batches, size, rounds, e2eSamples, e2eModels, e2eBatch, work, checks, checkImages, perMethod,
        };
        bench.SetAction((pr, ct) => Guard(pr, async log =>
        {
            Action<string> Log = Lines(log);
            static int[] Ints(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Torch.Initialise();
            var device = GradCamAudit.Modeling.LoadedModel.ResolveDevice("auto");
            Log($"bench on {device}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            string[] names = pr.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none").ToArray();
            if (names.Length > 0)
            {
                var steps = GradCamAudit.Benchmarks.StepBenchmark.Run(names, Ints(pr.GetValue(batches)!), pr.GetValue(size), pr.GetValue(rounds), device, Log).ToList();
                Console.WriteLine(GradCamAudit.Benchmarks.StepBenchmark.Table(steps));
            }
            var methodConfigurations = pr.GetValue(perMethod)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none")
                .Select(m => (m.Split(':')[0], int.Parse(m.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (methodConfigurations.Count > 0)
            {
                Console.WriteLine(GradCamAudit.Benchmarks.MethodBenchmark.Table(GradCamAudit.Benchmarks.MethodBenchmark.Run(methodConfigurations, pr.GetValue(size), pr.GetValue(rounds), device, Log).ToList()));
            }
            var checkModels = pr.GetValue(checks)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(m => m != "none")
                .Select(m => (m.Split(':')[0], int.Parse(m.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            if (checkModels.Count > 0)
            {
                Console.WriteLine(GradCamAudit.Benchmarks.SampledChecksBenchmark.Table(GradCamAudit.Benchmarks.SampledChecksBenchmark.Run(checkModels, pr.GetValue(checkImages), device, Log).ToList()));
            }
            int n = pr.GetValue(e2eSamples);
            if (n > 0)
            {
                string dir = pr.GetValue(work) ?? Path.Combine(Path.GetTempPath(), "gradcam-audit-bench");
                Directory.CreateDirectory(dir);
                var e2e = new List<GradCamAudit.Benchmarks.EndToEndResult>();
                foreach (string pair in pr.GetValue(e2eModels)!.Split(',', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] parts = pair.Split(':');
                    int samples = parts.Length > 2 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : n;
                    var r = await GradCamAudit.Benchmarks.EndToEndBenchmark.RunAsync(parts[0], samples, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), pr.GetValue(e2eBatch), dir, Log).ConfigureAwait(false);
                    Log($"end to end {r.Model}: {r.ImagesPerSecond:F1} img/s");
                    e2e.Add(r);
                }
                Console.WriteLine(GradCamAudit.Benchmarks.EndToEndBenchmark.Table(e2e));
            }
        }));
        return bench;
    }

    /// <summary>Parses, reports parse errors with exit code 2, and runs the chosen verb.</summary>
    public static async Task<int> ParseAndRunAsync(this RootCommand root, string[] args)
    {
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            }
            await Console.Error.WriteLineAsync("run 'gradcam-audit --help' for usage").ConfigureAwait(false);
            return UsageError;
        }
        // SIGTERM (Kubernetes preemption, Slurm's scancel) and Ctrl+C cancel the verb's token and the verb ends as it
        // does on any failure (exit 1, run.json "failed: cancelled", committed parts kept, the model disposed only after
        // the scoring thread has left LibTorch). System.CommandLine's own handler would return after a fixed timeout
        // while a batch is still inside LibTorch, so it is turned off.
        using var cancel = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token).ConfigureAwait(false);
    }

    /// <summary>Prints stack traces of failures (a one-line reason otherwise) and debug lines.</summary>
    private static readonly Option<bool> Verbose = new("--verbose") { Description = "Debug log lines and stack traces of failures.", Recursive = true };

    /// <summary>Exit 3 also on a gate whose estimate is beyond its limit while its interval still reaches it.</summary>
    private static readonly Option<bool> FailOnInconclusive = new("--fail-on-inconclusive")
    {
        Description = "Exit 3 also when a gate is inconclusive (its estimate beyond the limit, its interval still reaching it).",
        Recursive = true,
    };

    private static readonly Option<bool> Quiet = new("--quiet") { Description = "Only warnings and errors (no progress).", Recursive = true };

    private static readonly Option<string> LogFormat = new("--log-format")
    {
        Description = "Log lines as 'plain' text or 'json' (one JSON object per line, for log collectors).",
        Recursive = true,
        DefaultValueFactory = _ => "plain",
    };

    private static Action<string> Lines(ILogger log) => m => log.LogInformation("{Message}", m);

    private static void Gate(IReadOnlyList<GradCamAudit.Gates.GateResult> gates, bool failOnWarn, bool failIfNotEvaluated, bool failOnInconclusive)
    {
        var failed = gates.Where(g => g.Failed || (failOnWarn && g.State == "warn") || (failIfNotEvaluated && g.State == "not_evaluated")
            || (failOnInconclusive && g.State == "inconclusive")).ToList();
        if (failed.Count > 0)
        {
            throw new GradCamAudit.Gates.GateFailedException(failed);
        }
    }

    private static HistoryOptions? History(string? folder, int count)
    {
        if (folder == null)
        {
            return null;
        }
        if (!Directory.Exists(folder) || count < 1)
        {
            throw new UsageException(count < 1 ? $"--history-count must be positive, got {count}" : $"--history: folder '{folder}' does not exist");
        }
        return new HistoryOptions(Path.GetFullPath(folder), count);
    }

    private static string? RunFolderOption(string? folder, string option)
    {
        if (folder == null)
        {
            return null;
        }
        if (!File.Exists(Path.Combine(folder, "run.json")))
        {
            throw new UsageException($"{option}: '{folder}' is not a run folder (no run.json)");
        }
        return Path.GetFullPath(folder);
    }

    private static IEnumerable<KeyValuePair<string, string>> EnvironmentVariables() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""));

    private static string? TemplatesFolder(string? folder)
    {
        if (folder != null && !Directory.Exists(folder))
        {
            throw new UsageException($"--templates: folder '{folder}' does not exist");
        }
        return folder == null ? null : Path.GetFullPath(folder);
    }

    /// <summary>Runs a verb and maps its outcome to the exit code: one line on stderr per failure, the stack trace with --verbose.</summary>
    private static async Task<int> Guard(ParseResult pr, Func<ILogger, Task> body)
    {
        bool verbose = pr.GetValue(Verbose);
        string format = pr.GetValue(LogFormat) ?? "plain";
        if (format is not "plain" and not "json")
        {
            await Console.Error.WriteLineAsync($"error: --log-format must be plain or json, got '{format}'").ConfigureAwait(false);
            return UsageError;
        }
        using ILoggerFactory factory = CliLogging.CreateFactory(format, pr.GetValue(Quiet), verbose);
        ILogger log = factory.CreateLogger("gradcam-audit");
        try
        {
            await body(log).ConfigureAwait(false);
            return Ok;
        }
        catch (GradCamAudit.Gates.GateFailedException ex)
        {
            if (format == "json")
            {
                log.LogError("gates failed: {Message}", ex.Message);
            }
            else
            {
                await Console.Error.WriteLineAsync("gates failed: " + ex.Message).ConfigureAwait(false);
            }
            return GateFailed;
        }
        catch (Exception ex) when (ex is ConfigException or UsageException or RunFolderBusyException)
        {
            if (format == "json")
            {
                log.LogError("error: {Message}", ex.Message);
            }
            else
            {
                await Console.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            }
            return UsageError;
        }
        catch (Exception ex)
        {
            string line = ex is OperationCanceledException ? "cancelled" : ex.Message.ReplaceLineEndings(" ");
            if (format == "json")
            {
                log.LogError(verbose ? ex : null, "failed: {Reason}", line);
                return RuntimeFailure;
            }
            await Console.Error.WriteLineAsync("failed: " + line).ConfigureAwait(false);
            if (verbose)
            {
                await Console.Error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }
            else
            {
                await Console.Error.WriteLineAsync("(run with --verbose for the stack trace)").ConfigureAwait(false);
            }
            return RuntimeFailure;
        }
    }

    private static Task<int> Guard(ParseResult pr, Action<ILogger> body) => Guard(pr, log =>
    {
        body(log);
        return Task.CompletedTask;
    });

}
