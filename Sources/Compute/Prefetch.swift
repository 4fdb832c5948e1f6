import CVectorKernels

/// Cache prefetch: for reads about to happen at scattered places (a page of candidates spread over
/// a snapshot of a million items), issued together so their misses overlap instead of queueing.
public enum Prefetch {
    /// Starts loading the element at `index` of `array` into cache (its first and last bytes: an
    /// element of up to 64 bytes may straddle two lines); returns at once.
    @inlinable @inline(__always)
    public static func element<T>(_ index: Int, of array: UnsafeBufferPointer<T>) {
        guard let base = array.baseAddress, array.indices.contains(index) else { return }
        let start = UnsafeRawPointer(base + index)
        reco_prefetch(start)
        reco_prefetch(start + (MemoryLayout<T>.size - 1))
    }
}
