using System.Runtime.InteropServices;

namespace VectorDb.Hnsw;

/// <summary>
/// Native memory for the graph's per-node arenas. Arenas of at least one huge page are aligned to it and, on Linux,
/// marked for transparent huge pages: a search touches rows all over a large arena, and with 4 KB pages nearly every
/// row it reads also costs a TLB miss and a page walk (most distributions enable THP only on request).
/// </summary>
internal static unsafe partial class NodeArena
{
    private const nuint HugePage = 2 << 20;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>Allocates <paramref name="bytes"/>, 64-byte aligned (a huge page for large arenas); free with <see cref="Free"/>.</summary>
    public static void* Allocate(nuint bytes)
    {
        if (bytes < HugePage || !OperatingSystem.IsLinux())
        {
            return NativeMemory.AlignedAlloc(bytes, 64);
        }

        nuint rounded = (bytes + HugePage - 1) & ~(HugePage - 1);
        void* memory = NativeMemory.AlignedAlloc(rounded, HugePage);
        _ = Madvise(memory, rounded, MadviseHugePage); // only advice: without it the arena works on small pages
        return memory;
    }

    /// <summary>Frees memory from <see cref="Allocate"/>; null is ignored.</summary>
    public static void Free(void* memory) => NativeMemory.AlignedFree(memory);

    /// <summary>madvise(2) over a page-aligned range; only advice, so its result may be ignored.</summary>
    public static int Advise(nint address, nuint length, int advice) => Madvise((void*)address, length, advice);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
