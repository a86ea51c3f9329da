using System.Globalization;

namespace GradCamAudit.Options;

/// <summary>
/// The grammar of a sample size in the config (<c>explain.perturbationSample</c>, ...): a count ("25", 25) or a
/// percentage ("10%") in (0, 100]. Part of the config contract; <c>Explain.SampleSelector</c> turns it into a selection.
/// </summary>
public static class SampleSpec
{
    public static bool IsValid(string spec) => TryParse(spec, out _, out _);

    public static bool TryParse(string spec, out double? percent, out long? count)
    {
        (percent, count) = (null, null);
        spec = spec.Trim();
        if (spec.EndsWith('%'))
        {
            if (double.TryParse(spec[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p > 0 && p <= 100)
            {
                percent = p;
                return true;
            }
            return false;
        }
        if (long.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out long c) && c > 0)
        {
            count = c;
            return true;
        }
        return false;
    }
}
