import COpenBLAS
import Foundation
import Synchronization

/// Exact top-K cosine neighbours of every row of a matrix (excluding itself), computed as blocked
/// SGEMMs: a block of rows × a block of columns of similarities at a time, each row's scores
/// streamed through its own top-K heap. Workers (one per core, single-threaded BLAS) take row
/// blocks from a shared counter and own their rows' heaps, so nothing is locked per score.
public enum ExactNeighbours {
    public struct Neighbour: Sendable, Equatable {
        public let index: Int32
        public let score: Float
        public init(index: Int32, score: Float) {
            self.index = index
            self.score = score
        }
    }

    /// - rowBlock/columnBlock: the similarity tile is rowBlock × columnBlock floats.
    public static func compute(
        _ m: VectorMatrix, k: Int, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        rowBlock: Int = 512, columnBlock: Int = 2048
    ) -> [[Neighbour]] {
        let n = m.count, d = m.dims
        guard n > 1, k > 0 else { return Array(repeating: [], count: n) }
        precondition(n <= Int(Int32.max) && d <= Int(Int32.max))
        openblas_set_num_threads(1)
        let blocks = (n + rowBlock - 1) / rowBlock
        let next = Mutex(0)
        let results = Mutex([[Neighbour]](repeating: [], count: n))
        m.values.withUnsafeBufferPointer { values in
            nonisolated(unsafe) let x = values.baseAddress!  // read-only while the workers run
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, blocks))) { _ in
                let tile = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * columnBlock)
                defer { tile.deallocate() }
                while true {
                    let block = next.withLock { v in defer { v += 1 }; return v }
                    if block >= blocks { return }
                    let r0 = block * rowBlock, rows = min(rowBlock, n - r0)
                    var heaps = (0..<rows).map { _ in TopK(k: min(k, n - 1)) }
                    var c0 = 0
                    while c0 < n {
                        let cols = min(columnBlock, n - c0)
                        // tile[rows × cols] = X[r0..] · X[c0..]ᵀ
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d),
                                    1, x + r0 * d, Int32(d), x + c0 * d, Int32(d), 0, tile, Int32(cols))
                        for r in 0..<rows {
                            let row = tile + r * cols
                            let own = r0 + r
                            var threshold = heaps[r].threshold
                            for c in 0..<cols where row[c] >= threshold {
                                let j = c0 + c
                                if j == own { continue }
                                heaps[r].insert(row[c], Int32(j))
                                threshold = heaps[r].threshold
                            }
                        }
                        c0 += cols
                    }
                    let lists = heaps.map { $0.sorted().map { Neighbour(index: $0.index, score: $0.score) } }
                    results.withLock { all in
                        for (r, list) in lists.enumerated() { all[r0 + r] = list }
                    }
                }
            }
        }
        return results.withLock { $0 }
    }
}
