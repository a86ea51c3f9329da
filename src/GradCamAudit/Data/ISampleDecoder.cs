namespace GradCamAudit.Data;

/// <summary>The decode stage's work on one sample: a <see cref="SampleException"/> is that sample's error; anything else fails the run.</summary>
public interface ISampleDecoder
{
    DecodedSample Decode(ManifestEntry entry);
}
