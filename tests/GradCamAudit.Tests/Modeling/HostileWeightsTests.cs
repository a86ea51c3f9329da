using System.Text;
using GradCamAudit.Modeling;
using GradCamAudit.Options;
using Xunit;

namespace GradCamAudit.Tests.Modeling;

/// <summary>Hostile safetensors headers are refused as config errors before anything is allocated, never a native crash.</summary>
[Collection(TorchCollection.Name)]
public sealed class HostileWeightsTests
{
    private static string File_(string header, int dataBytes, ulong? declaredLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        string path = Path.Combine(TestPaths.NewTempDir("safetensors"), "w.safetensors");
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes(declaredLength ?? (ulong)json.Length));
        stream.Write(json);
        stream.Write(new byte[dataBytes]);
        return path;
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,4]}}", 4)]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-8,4]}}", 4)]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775807]}}", 4)]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)]
    public void HostileHeader_IsAConfigError(string header, int dataBytes)
    {
        var ex = Assert.Throws<ConfigException>(() => WeightLoader.ReadSafetensors(File_(header, dataBytes)));
        Assert.Contains("safetensors", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLongerThanTheFile_IsAConfigError()
    {
        Assert.Throws<ConfigException>(() => WeightLoader.ReadSafetensors(File_("{}", 0, declaredLength: ulong.MaxValue)));
    }

    [Fact]
    public void AGoodFile_StillReads()
    {
        var state = WeightLoader.ReadSafetensors(File_("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8));
        Assert.Equal([2L], state["w"].shape);
        state["w"].Dispose();
    }
}
