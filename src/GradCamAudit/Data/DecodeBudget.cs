namespace GradCamAudit.Data;

/// <summary>
/// A bound on the memory the decode workers hold at once (file bytes plus decoded pixels): a worker asks for a
/// sample's estimate before reading it and waits while the others hold too much. One sample over the whole bound is
/// let through alone (nothing else in flight), so it is decoded, never starved.
/// </summary>
public sealed class DecodeBudget(long bytes)
{
    /// <summary>Default of <c>audit.decodeMemoryBytes</c>.</summary>
    public const long DefaultBytes = 2L * 1024 * 1024 * 1024;

    private readonly object gate = new();
    private long held;
    private int holders;

    public long Bytes => bytes;

    /// <summary>Bytes held right now (for tests and logs).</summary>
    public long Held
    {
        get
        {
            lock (gate)
            {
                return held;
            }
        }
    }

    /// <summary>Waits until <paramref name="amount"/> fits (or nothing else is held), then holds it until the lease is disposed.</summary>
    public IDisposable Acquire(long amount)
    {
        amount = Math.Max(0, amount);
        lock (gate)
        {
            while (holders > 0 && held + amount > bytes)
            {
                Monitor.Wait(gate);
            }
            held += amount;
            holders++;
        }
        return new Lease(this, amount);
    }

    private void Release(long amount)
    {
        lock (gate)
        {
            held -= amount;
            holders--;
            Monitor.PulseAll(gate);
        }
    }

    private sealed class Lease(DecodeBudget budget, long amount) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                budget.Release(amount);
            }
        }
    }
}
