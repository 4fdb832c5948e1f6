import COpenBLAS

/// The slice of CBLAS that reco uses, with Swift sizes; CBLAS takes Int32.
enum BLAS {
    /// C[m×n] += A[m×k] · B[k×n] (all row-major, contiguous).
    static func multiplyAccumulating(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        precondition(m <= Int(Int32.max) && n <= Int(Int32.max) && k <= Int(Int32.max))
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
            1, a, Int32(k), b, Int32(n), 1, c, Int32(n))
    }

    /// Sets OpenBLAS's own thread count (process-wide). reco parallelises across images instead.
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    static var threads: Int { Int(openblas_get_num_threads()) }
}
