using Microsoft.Extensions.Logging;

namespace GradCamAudit.Pipeline;

/// <summary>How far a run is: manifest rows done (committed before a resume included) of those it will do.</summary>
public sealed record RunProgress(long Rows, long Total, TimeSpan Elapsed)
{
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? Rows / Elapsed.TotalSeconds : 0;
}

/// <summary>An <see cref="ILogger"/> over a plain callback: what the library's callers without a logging setup (tests, benchmarks) pass.</summary>
public sealed class CallbackLogger(Action<string> write) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            write((logLevel >= LogLevel.Warning ? "warning: " : "") + formatter(state, exception));
        }
    }
}
