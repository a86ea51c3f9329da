using System.Runtime.InteropServices;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>
/// TorchSharp process settings. The intra-op thread count is set on purpose (LibTorch would follow the machine, and
/// float reductions then differ between machines): <c>audit.threads</c>, default the core count. The inter-op count
/// may only be set once, before any parallel work.
/// <para>On Linux with glibc, LibTorch's CPU allocations go through malloc, which by default serves every block above
/// 128 KB (raised dynamically up to 32 MB) by a fresh mmap and gives freed memory at the top of the heap back to the
/// system: every batch then page-faults its activations and scratch tensors in again (about 19,000 faults, 73 MB, per
/// audit step of the five-method bundle on resnet18 at batch 8). <see cref="RetainNativeHeap"/> keeps freed memory
/// in the heap instead (no mmap for blocks, no trimming), so a batch reuses the previous batch's warm pages; what
/// the process holds is then its peak, not more. <c>GRADCAM_AUDIT_NATIVE_HEAP=default</c> leaves glibc's defaults.</para>
/// </summary>
public static class Torch
{
    private const int MallocTrimThreshold = -1;
    private const int MallocMmapMax = -4;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>True when glibc was told to keep freed native memory (see the class remarks).</summary>
    public static bool NativeHeapRetained { get; private set; }

    private static void RetainNativeHeap()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GRADCAM_AUDIT_NATIVE_HEAP") == "default")
        {
            return;
        }
        try
        {
            NativeHeapRetained = Mallopt(MallocMmapMax, 0) == 1 && Mallopt(MallocTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no mallopt): its allocator's defaults stand.
        }
    }

    private static readonly Lazy<bool> Once = new(() =>
    {
        RetainNativeHeap();
        try
        {
            torch.set_num_interop_threads(1);
        }
        catch (ExternalException)
        {
            // Already set by an earlier user of LibTorch in this process: keep its value.
        }
        return true;
    });

    public static void Initialise(int? threads = null)
    {
        _ = Once.Value;
        torch.set_num_threads(threads ?? Math.Max(1, Environment.ProcessorCount));
    }
}
