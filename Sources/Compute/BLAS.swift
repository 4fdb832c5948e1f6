import COpenBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// The slice of CBLAS that reco uses, with Swift sizes (CBLAS takes Int32), row-major throughout.
/// The only place that calls OpenBLAS.
///
/// OpenBLAS runs single-threaded: reco parallelises across images and tiles itself (`Parallel`),
/// measured 1.8× the throughput of one worker with two OpenBLAS threads, and OpenBLAS's own thread
/// pool must not be entered from several threads at once. Every entry point makes sure of that
/// before its first call, so no caller (a model load, a test) has to remember it.
public enum BLAS {
    private static let singleThreaded: Void = {
        openblas_set_num_threads(1)
        // The worker threads OpenBLAS started when it loaded spin in sched_yield for a while
        // (measured: ~9 % of the CPU of a short `reco embed`) and are never used: stop them with
        // the function OpenBLAS's own fork handler uses. Looked up, not linked: a serial build of
        // OpenBLAS (another Debian alternative) has no thread pool and no such function.
        #if canImport(Glibc)
            if let stop = dlsym(nil, "blas_thread_shutdown_") {  // nil: glibc's RTLD_DEFAULT
                _ = unsafeBitCast(stop, to: (@convention(c) () -> Int32).self)()
            }
        #endif
    }()

    /// Makes OpenBLAS single-threaded now and stops the thread pool it started at load. Every entry
    /// point does this before its first call; a process that may never call BLAS (embedding) calls
    /// it at start so the idle pool does not spin beside its work.
    public static func runSingleThreaded() { _ = singleThreaded }

    /// C[m×n] += A[m×k] · B[k×n].
    public static func multiplyAccumulating(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        _ = singleThreaded
        let (m32, n32, k32) = (int32(m), int32(n), int32(k))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m32, n32, k32, 1, a, k32, b, n32, 1, c, n32)
    }

    /// C[m×n] = A[m×k] · B[n×k]ᵀ: the dot products of A's rows with B's rows.
    public static func multiplyTransposed(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        _ = singleThreaded
        let (m32, n32, k32) = (int32(m), int32(n), int32(k))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m32, n32, k32, 1, a, k32, b, k32, 0, c, n32)
    }

    /// y[rows] = M[rows×columns] · x[columns].
    public static func multiply(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, by x: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>
    ) {
        _ = singleThreaded
        let (r32, c32) = (int32(rows), int32(columns))
        cblas_sgemv(CblasRowMajor, CblasNoTrans, r32, c32, 1, matrix, c32, x, 1, 0, y, 1)
    }

    /// a · b over `count` contiguous floats.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        _ = singleThreaded
        return cblas_sdot(int32(count), a, 1, b, 1)
    }

    /// a · b of two vectors of one length.
    public static func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        precondition(a.count == b.count, "a \(a.count)-d vector against a \(b.count)-d one")
        guard !a.isEmpty else { return 0 }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in dot(x.baseAddress!, y.baseAddress!, count: a.count) }
        }
    }

    /// OpenBLAS's thread count (1 once any entry point has run).
    public static var threads: Int { Int(openblas_get_num_threads()) }

    private static func int32(_ size: Int) -> Int32 {
        precondition(size >= 0 && size <= Int(Int32.max), "BLAS size \(size) out of Int32 range")
        return Int32(size)
    }
}
