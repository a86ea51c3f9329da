using System.Runtime.InteropServices;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>
/// TorchSharp process settings. The intra-op thread count is set on purpose (LibTorch would follow the machine, and
/// float reductions then differ between machines): <c>audit.threads</c>, default the core count. The inter-op count
/// may only be set once, before any parallel work.
/// </summary>
public static class Torch
{
    private static readonly Lazy<bool> Once = new(() =>
    {
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
