using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK on the named version requirements (Vernaux entries of .gnu.version_r) of 64-bit little-endian
/// ELF files, so that glibc's loader accepts the file where the runtime lacks those versions. Idempotent.
/// </summary>
public sealed class WeakenElfVersionRequirement : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string Versions { get; set; } = "";

    public override bool Execute()
    {
        var wanted = new HashSet<string>(Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var changed = Weaken(bytes, wanted, out var weakened);
                if (changed)
                {
                    // Replace rather than write in place: the output file may be a hard link into the NuGet cache.
                    var temp = path + ".patching";
                    File.WriteAllBytes(temp, bytes);
                    File.Delete(path);
                    File.Move(temp, path);
                    Log.LogMessage(MessageImportance.High, "Marked {0} weak in {1}", string.Join(", ", weakened), path);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is InvalidDataException || ex is UnauthorizedAccessException)
            {
                Log.LogError("Could not patch {0} for older C++ runtimes: {1}", path, ex.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static bool Weaken(byte[] elf, HashSet<string> wanted, out List<string> weakened)
    {
        weakened = new List<string>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)U64(elf, sh + 24);
            uint link = U32(elf, sh + 40);
            uint count = U32(elf, sh + 44);
            long strOffset = (long)U64(elf, shoff + (long)link * shentsize + 24);

            long need = offset;
            for (uint n = 0; n < count; n++)
            {
                int cnt = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int a = 0; a < cnt; a++)
                {
                    var name = ReadCString(elf, checked((int)(strOffset + U32(elf, aux + 8))));
                    ushort flags = U16(elf, aux + 4);
                    if (wanted.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        flags |= VerFlgWeak;
                        elf[aux + 4] = (byte)flags;
                        elf[aux + 5] = (byte)(flags >> 8);
                        weakened.Add(name);
                        changed = true;
                    }
                    uint next = U32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint nextNeed = U32(elf, need + 12);
                if (nextNeed == 0) break;
                need += nextNeed;
            }
        }
        return changed;
    }

    private static ushort U16(byte[] b, long at)
    {
        Check(b, at, 2);
        return (ushort)(b[at] | b[at + 1] << 8);
    }

    private static uint U32(byte[] b, long at)
    {
        Check(b, at, 4);
        return (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);
    }

    private static ulong U64(byte[] b, long at) => U32(b, at) | (ulong)U32(b, at + 4) << 32;

    private static void Check(byte[] b, long at, int size)
    {
        if (at < 0 || at + size > b.Length) throw new InvalidDataException("truncated ELF file");
    }

    private static string ReadCString(byte[] bytes, int start)
    {
        int end = Array.IndexOf(bytes, (byte)0, start);
        if (end < 0) throw new InvalidDataException("unterminated string in .dynstr");
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}
