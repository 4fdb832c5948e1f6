import CVectorKernels

/// An int8 copy of a `VectorMatrix`, one scale per row: a search streams a quarter of the bytes
/// of the float32 matrix, and a scan over all vectors is bound by that memory traffic. Scores from
/// it are approximate (about 1e-3 off); `VectorSearch` re-ranks its best candidates exactly.
public struct QuantizedVectors: Sendable {
    public let count: Int
    public let dims: Int
    private let codes: [Int8]
    private let scales: [Float]

    /// Bytes of the codes and scales.
    public var bytes: Int { codes.count + scales.count * MemoryLayout<Float>.stride }

    public init(_ m: VectorMatrix) {
        count = m.count
        dims = m.dims
        var codes = [Int8](repeating: 0, count: m.values.count)
        var scales = [Float](repeating: 0, count: m.count)
        m.values.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                for i in 0..<m.count {
                    let row = UnsafeBufferPointer(rebasing: v[(i &* m.dims)..<((i &+ 1) &* m.dims)])
                    scales[i] = Self.quantize(
                        row, into: UnsafeMutableBufferPointer(rebasing: c[(i &* m.dims)..<((i &+ 1) &* m.dims)]))
                }
            }
        }
        self.codes = codes
        self.scales = scales
    }

    /// Symmetric int8 codes of `values`; returns the scale that maps a code back to a value.
    @discardableResult
    static func quantize(_ values: UnsafeBufferPointer<Float>, into codes: UnsafeMutableBufferPointer<Int8>) -> Float {
        var largest: Float = 0
        for x in values { largest = max(largest, abs(x)) }
        guard largest > 0 else { return 0 }
        let toCode = 127 / largest
        for j in 0..<values.count { codes[j] = Int8((values[j] * toCode).rounded()) }
        return largest / 127
    }

    /// Approximate dot products of `query` with every row, in row order, into `scores`.
    func scores(_ query: [Float], into scores: inout [Float]) {
        precondition(query.count == dims && scores.count == count)
        var q = [Int8](repeating: 0, count: dims)
        let queryScale = query.withUnsafeBufferPointer { v in
            q.withUnsafeMutableBufferPointer { Self.quantize(v, into: $0) }
        }
        codes.withUnsafeBufferPointer { c in
            scales.withUnsafeBufferPointer { s in
                scores.withUnsafeMutableBufferPointer { out in
                    reco_int8_scores(
                        c.baseAddress, s.baseAddress, q, queryScale, Int64(count), Int64(dims), out.baseAddress)
                }
            }
        }
    }
}
