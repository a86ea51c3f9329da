using System.Security.Cryptography;
using System.Text;

namespace GradCamAudit.Data.Sources;

/// <summary>
/// The set of sample ids seen so far, as 128-bit digests (SHA-256 truncated) rather than strings: a duplicate check
/// over a whole dataset costs about 32 bytes per row whatever the ids' length (a million 60-character ids held as
/// strings take about 150 MB), with a collision chance of about n²/2¹²⁹, nil at any dataset size.
/// </summary>
public sealed class IdSet
{
    private readonly HashSet<UInt128> digests = [];

    public int Count => digests.Count;

    /// <summary>True when <paramref name="id"/> was not in the set (and is now).</summary>
    public bool Add(string id)
    {
        int max = Encoding.UTF8.GetMaxByteCount(id.Length);
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(id, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..n], hash);
        return digests.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash));
    }
}
