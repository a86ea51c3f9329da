using System.Diagnostics;
using System.Security.Cryptography;

namespace GradCamAudit.Tests.Modeling;

/// <summary>
/// Runs fixtures/families/make_family_fixtures.py (Debian's python3-torch 1.13, torchvision 0.14) once into a
/// temporary folder keyed by the script's hash (about 100 MB of state_dicts, not committed; about 6 s cold).
/// </summary>
public sealed class FamilyFixtures
{
    public FamilyFixtures()
    {
        string script = Path.Combine(TestPaths.Fixtures, "families", "make_family_fixtures.py");
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(script)))[..12];
        Directory = Path.Combine(Path.GetTempPath(), "gca-family-fixtures", hash);
        if (File.Exists(Path.Combine(Directory, "done")))
        {
            return;
        }
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            throw new InvalidOperationException("The family parity tests need Debian's python3-torch and python3-torchvision (tests/run-tests.sh installs them).");
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(Directory);
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        using var p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + error.Result;
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"make_family_fixtures.py failed ({p.ExitCode}): {output}");
        }
        File.WriteAllText(Path.Combine(Directory, "done"), output);
    }

    public string Directory { get; }

    public string File_(string name) => Path.Combine(Directory, name);
}
