using System.Diagnostics;
using GradCamAudit.Pipeline;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace GradCamAudit.Cli;

/// <summary>
/// The console side of logging: Microsoft.Extensions.Logging on stderr, plain single lines by default or JSON lines
/// for log collectors (<c>--log-format json</c>); <c>--quiet</c> keeps warnings and errors, <c>--verbose</c> adds debug
/// lines. Progress: a live bar with rows/s and ETA on a terminal, a plain line every 10 s otherwise.
/// </summary>
public static class CliLogging
{
    public static ILoggerFactory CreateFactory(string format, bool quiet, bool verbose) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(quiet ? LogLevel.Warning : verbose ? LogLevel.Debug : LogLevel.Information);
        if (format == "json")
        {
            builder.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.IncludeScopes = false;
            });
        }
        builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout stays for results (bench tables)
    });

    /// <summary>Runs <paramref name="body"/> with a progress sink suited to where stderr goes.</summary>
    public static async Task WithProgressAsync(ILogger log, bool live, Func<IProgress<RunProgress>, Task> body)
    {
        if (!live || Console.IsErrorRedirected)
        {
            await body(new PeriodicLines(log)).ConfigureAwait(false);
            return;
        }
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask task = ctx.AddTask("audit", autoStart: true, maxValue: 1);
                await body(new Progress<RunProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Rows;
                    task.Description = $"audit {p.Rows:N0}/{p.Total:N0} rows, {p.RowsPerSecond:F0} rows/s";
                })).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>Without a terminal: one information line every 10 s with rows, rate and ETA.</summary>
    private sealed class PeriodicLines(ILogger log) : IProgress<RunProgress>
    {
        private long last = Stopwatch.GetTimestamp();

        public void Report(RunProgress value)
        {
            if (Stopwatch.GetElapsedTime(Interlocked.Read(ref last)) < TimeSpan.FromSeconds(10))
            {
                return;
            }
            Interlocked.Exchange(ref last, Stopwatch.GetTimestamp());
            double rate = value.RowsPerSecond;
            string eta = rate > 0 ? TimeSpan.FromSeconds((value.Total - value.Rows) / rate).ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture) : "-";
            log.LogInformation("{Rows} of {Total} rows, {Rate:F1} rows/s, ETA {Eta}", value.Rows, value.Total, rate, eta);
        }
    }
}
