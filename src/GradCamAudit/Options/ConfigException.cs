namespace GradCamAudit.Options;

/// <summary>One or more configuration problems, all listed at once.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<string> errors)
        : base("Configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
    {
        Errors = errors;
    }

    public ConfigException(string error)
        : this([error])
    {
    }

    /// <summary>Every problem found, one line each, naming the offending key and value.</summary>
    public IReadOnlyList<string> Errors { get; }
}
