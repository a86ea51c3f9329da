using System.CommandLine;
using GradCamAudit.Options;
using GradCamAudit.Pipeline;
using Microsoft.Extensions.Logging;

namespace GradCamAudit.Cli;

public static partial class Commands
{
    /// <summary>The validate verb: config, manifest and every sample's headers, no model.</summary>
    private static Command ValidateCommand()
    {
        var validateConfig = new Option<string>("--config") { Description = "Audit config (JSON).", Required = true };
        var validateSet = new Option<string[]>("--set") { Description = "Override a config key, repeatable (as for audit)." };
        var validate = new Command("validate", "Check the config, the manifest and every sample's files (headers only, no model, no pixels): problems on stdout in errors.csv's columns; exit 2 when any.")
        {
            validateConfig, validateSet,
        };
        validate.SetAction((pr, ct) => Guard(pr, log =>
        {
            AuditOptions options = AuditConfig.Load(pr.GetValue(validateConfig)!, null, pr.GetValue(validateSet) ?? [], EnvironmentVariables());
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
        return validate;
    }
}
