namespace GradCamAudit.Pipeline;

/// <summary>Thread-safe accumulators of busy time per stage (decode, compute, write).</summary>
public sealed class StageTimings
{
    private long decodeTicks;
    private long computeTicks;
    private long writeTicks;

    public double DecodeSeconds => TimeSpan.FromTicks(Interlocked.Read(ref decodeTicks)).TotalSeconds;

    public double ComputeSeconds => TimeSpan.FromTicks(Interlocked.Read(ref computeTicks)).TotalSeconds;

    public double WriteSeconds => TimeSpan.FromTicks(Interlocked.Read(ref writeTicks)).TotalSeconds;

    public void AddDecode(TimeSpan t) => Interlocked.Add(ref decodeTicks, t.Ticks);

    public void AddCompute(TimeSpan t) => Interlocked.Add(ref computeTicks, t.Ticks);

    public void AddWrite(TimeSpan t) => Interlocked.Add(ref writeTicks, t.Ticks);
}
