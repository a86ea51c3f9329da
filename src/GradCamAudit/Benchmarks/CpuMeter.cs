using System.Globalization;

namespace GradCamAudit.Benchmarks;

/// <summary>
/// Detects contended measurements on Linux: the CPU time that other processes used during an interval, from
/// /proc/stat (all busy jiffies) minus this process's own (/proc/self/stat). Elsewhere it reports null.
/// </summary>
public sealed class CpuMeter
{
    private static readonly double TicksPerSecond = 100.0;
    private readonly long startBusy;
    private readonly long startSelf;
    private readonly DateTime startWall;

    private CpuMeter(long busy, long self)
    {
        startBusy = busy;
        startSelf = self;
        startWall = DateTime.UtcNow;
    }

    public static CpuMeter Start() => new(TotalBusy() ?? 0, SelfTicks() ?? 0);

    /// <summary>Other processes' CPU use during the interval, in cores (0.0 = idle machine apart from us); null where unknown.</summary>
    public double? OthersCores()
    {
        long? busy = TotalBusy(), self = SelfTicks();
        double wall = (DateTime.UtcNow - startWall).TotalSeconds;
        if (busy is null || self is null || wall <= 0)
        {
            return null;
        }
        return Math.Max(0, (busy.Value - startBusy - (self.Value - startSelf)) / TicksPerSecond / wall);
    }

    /// <summary>Peak resident set size of this process in MiB (VmHWM), or null.</summary>
    public static double? PeakRssMiB() => ReadStatusKb("VmHWM:") / 1024.0;

    /// <summary>Resident set size of this process now in MiB (VmRSS), or null.</summary>
    public static double? RssMiB() => ReadStatusKb("VmRSS:") / 1024.0;

    /// <summary>Resets the peak RSS counter (Linux clear_refs), so the next peak covers only what follows.</summary>
    public static void ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not permitted: the peak then covers the whole process.
        }
    }

    private static long? TotalBusy()
    {
        try
        {
            string line = File.ReadLines("/proc/stat").First();
            long[] v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
            return v.Sum() - v[3] - v[4];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long? SelfTicks()
    {
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long? ReadStatusKb(string key)
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line == null ? null : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
