// Compiled by MSBuild's RoslynCodeTaskFactory (see TorchSharpHostFix.targets); not part of any project.
#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class RexPatchLibTorchSharp : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const string AvailableVersion = "GLIBCXX_3.4.30";
    const string OnlySymbolUsingIt = "_ZSt21ios_base_library_initv";
    const uint ShtDynsym = 11, ShtGnuVersym = 0x6fffffff, ShtGnuVerneed = 0x6ffffffe;
    const ushort VerNdxGlobal = 1;

    // An output or publish folder: RID-neutral builds keep the library under runtimes/, RID-specific ones beside the app.
    [Required]
    public string Folder { get; set; } = "";

    public override bool Execute()
    {
        foreach (var relative in new[] { "runtimes/linux-x64/native/libLibTorchSharp.so", "libLibTorchSharp.so" })
        {
            var path = Path.GetFullPath(Path.Combine(Folder, relative));
            if (!File.Exists(path)) continue;
            var before = Ldd(path);
            if (before is null || !before.Contains("`" + MissingVersion + "' not found"))
                continue; // the host's libstdc++ has the version (or ldd is absent): leave the library as shipped
            try
            {
                Patch(path);
            }
            catch (InvalidDataException e)
            {
                Log.LogError($"{path}: cannot adapt libLibTorchSharp to this host's libstdc++: {e.Message}");
                return false;
            }
            var after = Ldd(path) ?? "";
            if (after.Contains("not found"))
            {
                Log.LogError($"{path}: still unloadable after the GLIBCXX patch:\n{after}");
                return false;
            }
            Log.LogMessage(MessageImportance.Normal, $"Adapted {path} to this host's libstdc++ (no {MissingVersion}).");
        }
        return true;
    }

    static string? Ldd(string path)
    {
        try
        {
            var start = new ProcessStartInfo("ldd", "\"" + path + "\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return output.Result + error;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    static void Patch(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        var sectionTable = (int)U64(elf, 0x28);
        int sectionSize = U16(elf, 0x3A), sectionCount = U16(elf, 0x3C);
        Section? dynsym = null, versym = null, verneed = null;
        for (var i = 0; i < sectionCount; i++)
        {
            var s = new Section(elf, sectionTable + i * sectionSize);
            if (s.Type == ShtDynsym) dynsym = s;
            else if (s.Type == ShtGnuVersym) versym = s;
            else if (s.Type == ShtGnuVerneed) verneed = s;
        }
        if (dynsym is null || versym is null || verneed is null)
            throw new InvalidDataException("no .dynsym, .gnu.version or .gnu.version_r section");
        var strings = new Section(elf, sectionTable + (int)verneed.Link * sectionSize);

        // Find the GLIBCXX_3.4.32 requirement and an existing GLIBCXX_3.4.30 one to copy name and hash from.
        int missingAux = -1, availableAux = -1;
        var need = verneed.Offset;
        while (true)
        {
            var aux = need + (int)U32(elf, need + 8);
            for (var n = 0; n < U16(elf, need + 2); n++)
            {
                var name = CString(elf, strings.Offset + (int)U32(elf, aux + 8));
                if (name == MissingVersion) missingAux = aux;
                if (name == AvailableVersion) availableAux = aux;
                aux += (int)U32(elf, aux + 12);
            }
            var next = U32(elf, need + 12);
            if (next == 0) break;
            need += (int)next;
        }
        if (missingAux < 0) return;
        if (availableAux < 0) throw new InvalidDataException($"no {AvailableVersion} requirement to retarget to");
        var missingIndex = U16(elf, missingAux + 6);

        // Only the marker symbol may use the missing version; anything else would really need it.
        var symbolCount = (int)(dynsym.Size / 24);
        for (var i = 0; i < symbolCount; i++)
        {
            var versymAt = versym.Offset + 2 * i;
            if ((U16(elf, versymAt) & 0x7fff) != missingIndex) continue;
            var name = CString(elf, strings.Offset + (int)U32(elf, dynsym.Offset + 24 * i));
            if (name != OnlySymbolUsingIt)
                throw new InvalidDataException($"symbol {name} needs {MissingVersion}");
            Write(elf, versymAt, VerNdxGlobal, 2);
        }
        Write(elf, missingAux, U32(elf, availableAux), 4);
        Write(elf, missingAux + 8, U32(elf, availableAux + 8), 4);

        // Write beside and rename over: the output file may be a hard link into the NuGet cache.
        var temporary = path + ".rexpatch";
        File.WriteAllBytes(temporary, elf);
        File.Delete(path);
        File.Move(temporary, path);
    }

    sealed class Section
    {
        public Section(byte[] elf, int at)
        {
            Type = U32(elf, at + 4);
            Offset = (int)U64(elf, at + 24);
            Size = (long)U64(elf, at + 32);
            Link = U32(elf, at + 40);
        }

        public uint Type { get; }
        public int Offset { get; }
        public long Size { get; }
        public uint Link { get; }
    }

    // Little-endian by hand: MSBuild compiles this task against netstandard, which lacks BinaryPrimitives.
    static ulong Read(byte[] b, int at, int size)
    {
        ulong value = 0;
        for (var i = size - 1; i >= 0; i--) value = (value << 8) | b[at + i];
        return value;
    }

    static void Write(byte[] b, int at, ulong value, int size)
    {
        for (var i = 0; i < size; i++) b[at + i] = (byte)(value >> (8 * i));
    }

    static ushort U16(byte[] b, int at) => (ushort)Read(b, at, 2);
    static uint U32(byte[] b, int at) => (uint)Read(b, at, 4);
    static ulong U64(byte[] b, int at) => Read(b, at, 8);

    static string CString(byte[] b, int at)
    {
        var end = Array.IndexOf(b, (byte)0, at);
        return Encoding.ASCII.GetString(b, at, end - at);
    }
}
