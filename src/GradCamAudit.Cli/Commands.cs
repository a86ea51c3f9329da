using System.CommandLine;
using System.Runtime.InteropServices;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using GradCamAudit.Reporting;
using GradCamAudit.Results;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

/// <summary>The command line: verbs, options and the mapping of failures to exit codes.</summary>
public static partial class Commands
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

        // One file per verb (Verbs/), in the order the help lists them; shared options, exit codes and the failure mapping stay here.
        root.Subcommands.Add(CompareCommand());
        root.Subcommands.Add(SuggestGatesCommand());
        root.Subcommands.Add(MergeCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(ValidateCommand());
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(DemoDataCommand());
        root.Subcommands.Add(DemoLabelNoiseCommand());
        root.Subcommands.Add(TrainDemoCommand());
        root.Subcommands.Add(BenchCommand());
        return root;
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
