using System.Diagnostics;
using System.Security.Cryptography;

namespace GradCamAudit.Tests;

/// <summary>
/// Runs a fixture script with Debian's python3 (python3-torch 1.13, torchvision 0.14, PIL, numpy) once into a
/// temporary folder keyed by the hash of the script and of the sources it imports: the reference files are tens of
/// MB and are not committed. A finished folder holds a <c>done</c> file with the script's output.
/// </summary>
internal static class PythonFixtures
{
    public static string Make(string script, string cacheName, params string[] imported)
    {
        byte[] sources = [.. File.ReadAllBytes(script), .. imported.SelectMany(File.ReadAllBytes)];
        string directory = Path.Combine(Path.GetTempPath(), cacheName, Convert.ToHexStringLower(SHA256.HashData(sources))[..12]);
        if (File.Exists(Path.Combine(directory, "done")))
        {
            return directory;
        }
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            throw new InvalidOperationException($"{Path.GetFileName(script)} needs Debian's python3-torch and python3-torchvision (tests/run-tests.sh installs them).");
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(directory);
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        using var p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd() + error.Result;
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(script)} failed ({p.ExitCode}): {output}");
        }
        File.WriteAllText(Path.Combine(directory, "done"), output);
        return directory;
    }
}
