// MSBuild inline task (RoslynCodeTaskFactory). See TorchNative.targets for why it exists.
// Compiled by MSBuild against netstandard2.0 (no nullable annotations, no spans).
// Marks ELF version needs on libstdc++ that the system libstdc++ does not define as weak, and
// rebinds the dynamic symbols that used them to the unversioned global index (1).
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibstdcxxVersionNeeds : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    [Required]
    public string LibraryPath { get; set; } = "";

    [Output]
    public bool Patched { get; set; }

    public override bool Execute()
    {
        string systemLib = FindSystemLibstdcxx();
        if (systemLib == null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; leaving " + LibraryPath + " as is.");
            return true;
        }
        byte[] system = File.ReadAllBytes(systemLib);
        byte[] elf = File.ReadAllBytes(LibraryPath);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogWarning("Not a little-endian ELF64 file: " + LibraryPath);
            return true;
        }
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        long verneedOff = -1, verneedCount = 0, versymOff = -1, versymSize = 0;
        int dynstrIndex = -1;
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            uint type = BitConverter.ToUInt32(elf, (int)h + 4);
            if (type == ShtGnuVerneed)
            {
                verneedOff = (long)BitConverter.ToUInt64(elf, (int)h + 24);
                dynstrIndex = (int)BitConverter.ToUInt32(elf, (int)h + 40);
                verneedCount = BitConverter.ToUInt32(elf, (int)h + 44);
            }
            else if (type == ShtGnuVersym)
            {
                versymOff = (long)BitConverter.ToUInt64(elf, (int)h + 24);
                versymSize = (long)BitConverter.ToUInt64(elf, (int)h + 32);
            }
        }
        if (verneedOff < 0 || versymOff < 0 || dynstrIndex < 0)
        {
            return true;
        }
        long dynstrOff = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)dynstrIndex * shentsize) + 24);

        var weakened = new HashSet<ushort>();
        var names = new List<string>();
        long vn = verneedOff;
        for (long n = 0; n < verneedCount; n++)
        {
            int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
            string file = ReadString(elf, dynstrOff + BitConverter.ToUInt32(elf, (int)vn + 4));
            long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
            for (int a = 0; a < cnt; a++)
            {
                string name = ReadString(elf, dynstrOff + BitConverter.ToUInt32(elf, (int)aux + 8));
                ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                ushort other = BitConverter.ToUInt16(elf, (int)aux + 6);
                if (file.StartsWith("libstdc++", StringComparison.Ordinal) && !Defines(system, name))
                {
                    if ((flags & VerFlgWeak) == 0)
                    {
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, (int)aux + 4);
                    }
                    weakened.Add(other);
                    names.Add(name);
                }
                aux += BitConverter.ToUInt32(elf, (int)aux + 12);
            }
            vn += BitConverter.ToUInt32(elf, (int)vn + 12);
        }
        if (weakened.Count == 0)
        {
            return true;
        }
        int rebound = 0;
        for (long p = versymOff; p < versymOff + versymSize; p += 2)
        {
            ushort v = BitConverter.ToUInt16(elf, (int)p);
            if (weakened.Contains((ushort)(v & 0x7fff)))
            {
                BitConverter.GetBytes((ushort)1).CopyTo(elf, (int)p);
                rebound++;
            }
        }
        string tmp = LibraryPath + ".patching";
        File.WriteAllBytes(tmp, elf);
        File.Delete(LibraryPath);
        File.Move(tmp, LibraryPath);
        Patched = true;
        Log.LogMessage(MessageImportance.High,
            "Patched " + LibraryPath + ": weak version needs " + string.Join(", ", names) + " (" + rebound + " symbols rebound); system libstdc++ lacks them.");
        return true;
    }

    private static string FindSystemLibstdcxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        foreach (string c in candidates)
        {
            if (File.Exists(c))
            {
                return c;
            }
        }
        return null;
    }

    private static bool Defines(byte[] lib, string versionName)
    {
        byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
        for (int i = 1; i + needle.Length <= lib.Length; i++)
        {
            if (lib[i - 1] != 0 || lib[i] != needle[0])
            {
                continue;
            }
            int k = 1;
            while (k < needle.Length && lib[i + k] == needle[k])
            {
                k++;
            }
            if (k == needle.Length)
            {
                return true;
            }
        }
        return false;
    }

    private static string ReadString(byte[] data, long offset)
    {
        int end = (int)offset;
        while (data[end] != 0)
        {
            end++;
        }
        return Encoding.ASCII.GetString(data, (int)offset, end - (int)offset);
    }
}
