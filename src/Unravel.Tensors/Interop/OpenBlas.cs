// Optional OpenBLAS backend: cblas_sgemm and openblas_set_num_threads, bound by [LibraryImport] to a library that is
// located at run time (NativeLibrary.TryLoad over the usual file names), so a machine without OpenBLAS still runs.
// Reference: https://github.com/OpenMathLib/OpenBLAS/blob/develop/cblas.h

using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Unravel.Tensors.Interop;

/// <summary>Run-time bound OpenBLAS entry points.</summary>
internal static unsafe partial class OpenBlas
{
    // The name used in [LibraryImport]; the resolver below maps it to whichever candidate loaded.
    private const string ImportName = "unravel-openblas";

    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    private static readonly nint s_handle;
    private static int s_threadsSet;

    /// <summary>File names tried, in order, by <see cref="IsAvailable"/>.</summary>
    internal static IReadOnlyList<string> CandidateNames { get; } = BuildCandidates();

    /// <summary>The candidate that loaded, or null.</summary>
    internal static string? LoadedName { get; }

    static OpenBlas()
    {
        foreach (string name in CandidateNames)
        {
            if (NativeLibrary.TryLoad(name, typeof(OpenBlas).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out nint h)
                && NativeLibrary.TryGetExport(h, "cblas_sgemm", out _)
                && NativeLibrary.TryGetExport(h, "openblas_set_num_threads", out _))
            {
                s_handle = h;
                LoadedName = name;
                break;
            }
        }
        if (s_handle != 0)
            NativeLibrary.SetDllImportResolver(typeof(OpenBlas).Assembly, Resolve);
    }

    /// <summary>True when a library exporting cblas_sgemm and openblas_set_num_threads was loaded.</summary>
    internal static bool IsAvailable => s_handle != 0;

    /// <summary>Row-major cblas_sgemm on pinned pointers; sets OpenBLAS's thread count to <paramref name="threads"/> first.</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (!IsAvailable) throw new InvalidOperationException("OpenBLAS is not loaded.");
        if (Volatile.Read(ref s_threadsSet) != threads)
        {
            SetNumThreads(threads);
            Volatile.Write(ref s_threadsSet, threads);
        }
        CblasSgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    [LibraryImport(ImportName, EntryPoint = "cblas_sgemm")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial void CblasSgemm(int layout, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(ImportName, EntryPoint = "openblas_set_num_threads")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial void SetNumThreads(int threads);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == ImportName ? s_handle : 0;

    private static string[] BuildCandidates()
    {
        if (OperatingSystem.IsWindows())
            return ["libopenblas.dll", "openblas.dll", "libopenblas64_.dll", "openblas"];
        if (OperatingSystem.IsMacOS())
            return ["libopenblas.0.dylib", "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
                    "/usr/local/opt/openblas/lib/libopenblas.dylib", "openblas"];
        return ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "openblas"];
    }
}
