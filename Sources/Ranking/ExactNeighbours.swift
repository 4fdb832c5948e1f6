import COpenBLAS
import Foundation
import Synchronization

/// Exact top-K cosine neighbours of every row of a matrix (excluding itself), by blocked SGEMM.
/// Similarity is symmetric, so only the tiles on and above the diagonal are computed (half the
/// multiply-adds); each tile feeds the heaps of its rows and, transposed, of its columns. Workers
/// (one per core, single-threaded BLAS) take tiles from a shared counter and keep heaps for every
/// row of their own, merged at the end, so nothing is locked per score.
public enum ExactNeighbours {
    public struct Neighbour: Sendable, Equatable {
        public let index: Int32
        public let score: Float
        public init(index: Int32, score: Float) {
            self.index = index
            self.score = score
        }
    }

    /// - block: tiles are block × block similarities.
    public static func compute(
        _ m: VectorMatrix, k: Int, workers: Int = ProcessInfo.processInfo.activeProcessorCount, block: Int = 1024
    ) -> [[Neighbour]] {
        let n = m.count
        let d = m.dims
        guard n > 1, k > 0 else { return Array(repeating: [], count: n) }
        precondition(n <= Int(Int32.max) && d <= Int(Int32.max) && block > 0)
        openblas_set_num_threads(1)
        let kk = min(k, n - 1)
        let blocks = (n + block - 1) / block
        let tiles = (0..<blocks).flatMap { i in (i..<blocks).map { j in (i, j) } }
        let next = Mutex(0)
        let partials = Mutex([[TopK]]())
        m.values.withUnsafeBufferPointer { values in
            nonisolated(unsafe) let x = values.baseAddress!  // read-only while the workers run
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, tiles.count))) { _ in
                let tile = UnsafeMutablePointer<Float>.allocate(capacity: block * block)
                defer { tile.deallocate() }
                var heaps = (0..<n).map { _ in TopK(k: kk) }
                var thresholds = [Float](repeating: -.infinity, count: n)
                while true {
                    let t = next.withLock { v in
                        defer { v += 1 }
                        return v
                    }
                    if t >= tiles.count { break }
                    let (bi, bj) = tiles[t]
                    let r0 = bi * block
                    let rows = min(block, n - r0)
                    let c0 = bj * block
                    let cols = min(block, n - c0)
                    // tile[rows × cols] = X[r0..] · X[c0..]ᵀ
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                        1, x + r0 * d, Int32(d), x + c0 * d, Int32(d), 0, tile, Int32(cols))
                    for r in 0..<rows {
                        let row = tile + r * cols
                        let own = r0 + r
                        for c in 0..<cols where row[c] >= thresholds[own] {
                            let j = c0 + c
                            if j == own { continue }
                            heaps[own].insert(row[c], Int32(j))
                            thresholds[own] = heaps[own].threshold
                        }
                    }
                    guard bi != bj else { continue }
                    // The same tile, transposed: row r0 + r is a neighbour candidate of column c0 + c.
                    for r in 0..<rows {
                        let row = tile + r * cols
                        for c in 0..<cols where row[c] >= thresholds[c0 + c] {
                            heaps[c0 + c].insert(row[c], Int32(r0 + r))
                            thresholds[c0 + c] = heaps[c0 + c].threshold
                        }
                    }
                }
                partials.withLock { $0.append(heaps) }
            }
        }
        return TopK.merge(partials.withLock { $0 }, rows: n, k: kk)
    }
}
