/// The k best (score, index) pairs seen so far: a min-heap on score, so the weakest kept
/// candidate is at the root and most candidates are rejected with one comparison.
struct TopK {
    let k: Int
    private(set) var scores: [Float] = []
    private(set) var indices: [Int32] = []

    init(k: Int) {
        self.k = k
        scores.reserveCapacity(k)
        indices.reserveCapacity(k)
    }

    /// Candidates must beat this to enter once the heap is full.
    var threshold: Float { scores.count < k ? -.infinity : scores[0] }

    mutating func insert(_ score: Float, _ index: Int32) {
        if scores.count < k {
            scores.append(score)
            indices.append(index)
            var i = scores.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard less(i, parent) else { break }
                swapAt(i, parent)
                i = parent
            }
        } else if score > scores[0] || (score == scores[0] && index < indices[0]) {
            scores[0] = score
            indices[0] = index
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < scores.count && less(l, m) { m = l }
                if r < scores.count && less(r, m) { m = r }
                if m == i { break }
                swapAt(i, m)
                i = m
            }
        }
    }

    /// Heap order: lower score first; on equal scores the larger index is "lower" (dropped first),
    /// so results are deterministic.
    private func less(_ a: Int, _ b: Int) -> Bool {
        scores[a] != scores[b] ? scores[a] < scores[b] : indices[a] > indices[b]
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        scores.swapAt(a, b)
        indices.swapAt(a, b)
    }

    /// Best first, as neighbours.
    var neighbours: [Neighbour] {
        sorted().map { Neighbour(index: $0.index, score: $0.score) }
    }

    /// Per row, the heaps several workers kept for it merged into one list, best first.
    static func merge(_ parts: [[TopK]], rows: Int, k: Int) -> [[Neighbour]] {
        (0..<rows).map { i in
            var merged = TopK(k: k)
            for part in parts {
                for (index, score) in zip(part[i].indices, part[i].scores) { merged.insert(score, index) }
            }
            return merged.neighbours
        }
    }

    /// Best first; ties by index.
    func sorted() -> [(index: Int32, score: Float)] {
        zip(indices, scores).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.map { (index: $0.0, score: $0.1) }
    }
}
