using GradCamAudit.Data;
using static TorchSharp.torch;

namespace GradCamAudit.Pipeline;

/// <summary>A decoded batch on the device: normalised input (B,3,H,W), masks (B,H,W), labels (B), the validity weight (or null) and the masks on the host.</summary>
public sealed record PackedBatch(Tensor Input, Tensor Masks, Tensor Labels, Tensor? Valid, Tensor HostMasks);

/// <summary>
/// Copies decoded samples straight into host tensors (no batch-sized managed arrays: they would land on the
/// large-object heap every batch), moves them to the device and normalises there. A validity weight is made only
/// when some sample of the batch has void pixels (VOC's 255, ignored crowd regions), so a batch without void is scored
/// by exactly the unweighted expressions.
/// </summary>
internal static class BatchPacking
{
    public static PackedBatch Pack(IReadOnlyList<DecodedSample> samples, int height, int width, float valueScale, Tensor mean, Tensor std, Device device)
    {
        int b = samples.Count;
        int hw = height * width;
        Tensor rgb = empty([b, height, width, 3], ScalarType.Byte);
        Tensor masks = empty([b, height, width], ScalarType.Byte);
        bool anyVoid = samples.Any(sample => sample.Valid != null);
        Tensor? valid = anyVoid ? ones([b, height, width], ScalarType.Byte) : null;
        var labels = new long[b];
        using (var rgbData = rgb.data<byte>())
        using (var maskData = masks.data<byte>())
        {
            for (int i = 0; i < b; i++)
            {
                rgbData.CopyFrom(samples[i].Rgb, 0, (long)i * hw * 3);
                maskData.CopyFrom(samples[i].Mask, 0, (long)i * hw);
                labels[i] = samples[i].Entry.Label;
            }
        }
        if (valid is not null)
        {
            using var validData = valid.data<byte>();
            for (int i = 0; i < b; i++)
            {
                if (samples[i].Valid is byte[] v)
                {
                    validData.CopyFrom(v, 0, (long)i * hw);
                }
            }
        }
        Tensor x = rgb.to(device).permute(0, 3, 1, 2).to_type(ScalarType.Float32).div_(valueScale);
        x = (x - mean) / std;
        return new PackedBatch(x, masks.to(device).to_type(ScalarType.Float32), tensor(labels, [b]).to(device), valid?.to(device).to_type(ScalarType.Float32), masks);
    }
}
