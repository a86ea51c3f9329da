using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GradCamAudit.Reporting.Html;

/// <summary>
/// The report's Content-Security-Policy: nothing may be fetched (no network at all), images only from <c>data:</c>,
/// and only the template's own inline <c>&lt;script&gt;</c> and <c>&lt;style&gt;</c> elements run, allowed by the
/// SHA-256 of their text as the template holds it. Hashes are taken from the template source, never from the rendered
/// page, so a script that an escaping slip let into the page has no hash and stays inert. Style attributes (the
/// confusion matrix's cell shades) are allowed; event-handler attributes are not.
/// </summary>
public static partial class ContentSecurityPolicy
{
    /// <summary>The policy for a template's source text; elements whose text holds Scriban code cannot be hashed and are left out.</summary>
    public static string For(string templateText)
    {
        static IEnumerable<string> Hashes(string text, Regex element) => element.Matches(text)
            .Select(m => m.Groups[1].Value)
            .Where(body => !body.Contains("{{", StringComparison.Ordinal))
            .Select(body => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(body)))}'")
            .Distinct(StringComparer.Ordinal);
        string scripts = string.Join(' ', Hashes(templateText, ScriptElement()));
        string styles = string.Join(' ', Hashes(templateText, StyleElement()));
        return $"default-src 'none'; img-src data:; script-src {(scripts.Length > 0 ? scripts : "'none'")}; "
            + $"style-src-elem {(styles.Length > 0 ? styles : "'none'")}; style-src-attr 'unsafe-inline'; base-uri 'none'; form-action 'none'";
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptElement();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleElement();
}
