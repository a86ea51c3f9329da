using System.Globalization;
using System.Text.Json;

namespace GradCamAudit.Results;

/// <summary>
/// One writer per run folder. <c>audit</c> (new or <c>--resume</c>) and <c>merge</c> hold an advisory lock on
/// <c>.gradcam-audit.lock</c> in the folder for as long as they write it: the file is opened with
/// <see cref="FileShare.None"/>, which .NET maps to <c>flock(LOCK_EX | LOCK_NB)</c> on Unix (shared across nodes by
/// NFS v4, Lustre mounted with <c>-o flock</c>, GPFS, CephFS) and to a sharing lock on Windows. The kernel drops the
/// lock when the holder dies, however it dies, so a crash never blocks <c>--resume</c>. Who holds it (host, pid,
/// verb, since when) is written beside it in <c>.gradcam-audit.holder</c>, read by the writer that is refused; a holder
/// file left by a process that is gone is a stale lock and is taken over (and said so). Both files are removed on
/// release, the lock file while still locked, so a writer that opened it just before finds its handle unlinked and
/// tries again.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string LockName = ".gradcam-audit.lock";
    public const string HolderName = ".gradcam-audit.holder";

    private readonly FileStream stream;
    private readonly string lockPath;
    private readonly string holderPath;
    private bool createdDirectory;

    private RunFolderLock(FileStream stream, string lockPath, string holderPath, LockHolder? stale)
    {
        this.stream = stream;
        this.lockPath = lockPath;
        this.holderPath = holderPath;
        Stale = stale;
    }

    /// <summary>The holder recorded by a process that died holding the lock (taken over), or null.</summary>
    public LockHolder? Stale { get; }

    /// <summary>The lock's own files (a folder holding nothing else is empty).</summary>
    public static bool IsLockFile(string name) => name is LockName or HolderName || name == "." + HolderName + ".tmp";

    /// <summary>Takes the folder's lock (creating the folder) or throws <see cref="RunFolderBusyException"/> naming the holder.</summary>
    public static RunFolderLock Acquire(string directory, string verb)
    {
        bool created = !Directory.Exists(directory);
        Directory.CreateDirectory(directory);
        string lockPath = Path.Combine(directory, LockName), holderPath = Path.Combine(directory, HolderName);
        for (int attempt = 0; ; attempt++)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new RunFolderBusyException(directory, ReadHolder(holderPath));
            }
            if (Unlinked(stream) && attempt < 5)
            {
                stream.Dispose(); // the previous holder removed this file while we opened it: take the new one
                continue;
            }
            LockHolder? stale = ReadHolder(holderPath);
            var holder = new LockHolder(Environment.MachineName, Environment.ProcessId, verb, DateTimeOffset.UtcNow);
            RunFolder.WriteAtomic(holderPath, s => JsonSerializer.Serialize(s, holder, RunManifest.Json));
            return new RunFolderLock(stream, lockPath, holderPath, stale) { createdDirectory = created };
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(holderPath);
            File.Delete(lockPath); // while still locked: see the class summary
            string directory = Path.GetDirectoryName(lockPath)!;
            if (createdDirectory && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory); // a writer refused before it wrote anything leaves no folder behind
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover lock file is free once the handle is closed.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
        stream.Dispose();
    }

    private static LockHolder? ReadHolder(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<LockHolder>(File.ReadAllText(path), RunManifest.Json) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Linux: whether the open file was unlinked (its /proc/self/fd link says "(deleted)").</summary>
    private static bool Unlinked(FileStream stream)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            string fd = stream.SafeFileHandle.DangerousGetHandle().ToInt64().ToString(CultureInfo.InvariantCulture);
            string? target = new FileInfo("/proc/self/fd/" + fd).LinkTarget;
            return target != null && target.EndsWith(" (deleted)", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>Who holds (or held) a run folder's lock.</summary>
public sealed record LockHolder(string Host, int Pid, string Verb, DateTimeOffset SinceUtc)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Verb} on host {Host}, pid {Pid}, since {SinceUtc:yyyy-MM-dd HH:mm:ss}Z");
}

/// <summary>Another process writes the run folder: the second writer is refused (exit 2).</summary>
public sealed class RunFolderBusyException(string directory, LockHolder? holder)
    : Exception($"run folder '{directory}' is in use by {holder?.ToString() ?? "another process (holder unknown)"}: a second audit, resume or merge on one folder is refused; wait for it to finish, or choose another --output")
{
    public LockHolder? Holder { get; } = holder;
}
