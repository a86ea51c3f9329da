namespace GradCamAudit.Data.Sources;

/// <summary>Relative paths of a dataset resolved under its root, refusing any that escape it (a <c>..</c>, an absolute path).</summary>
public static class SourcePaths
{
    /// <summary>The absolute path of <paramref name="relative"/> under <paramref name="root"/>, or null when it leaves the root.</summary>
    public static string? Inside(string root, string relative)
    {
        try
        {
            string full = Path.GetFullPath(Path.Combine(root, relative.Replace('\\', '/')));
            string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
            return full.StartsWith(rootWithSep, StringComparison.Ordinal) ? full : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The recognised image extensions of folder layouts.</summary>
    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>SHA-256 (hex) of a file's bytes.</summary>
    public static string Sha256File(string path)
    {
        using FileStream s = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(s));
    }

    /// <summary>SHA-256 (hex) of text lines (a listing).</summary>
    public static string Sha256Lines(IEnumerable<string> lines)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (string line in lines)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
