using System.Runtime.InteropServices;
using TorchSharp;

namespace GradCamAudit.Pipeline;

/// <summary>One-time TorchSharp process settings (thread counts may only be set once, before parallel work).</summary>
public static class Torch
{
    private static readonly Lazy<bool> Once = new(() =>
    {
        torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
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

    public static void Initialise() => _ = Once.Value;
}
