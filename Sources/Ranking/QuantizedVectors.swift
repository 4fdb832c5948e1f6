import CVectorKernels
import Compute

/// Vectors as int8 codes, one scale per row: a quarter of the bytes of float32, and a scan over
/// all of them is bound by that memory traffic. Scores from it are approximate (about 1e-3 off);
/// searches re-rank their best candidates exactly. Built whole from a matrix, or row by row
/// (the snapshot loader quantises each vector as it streams in and never holds the float32 ones).
public struct QuantizedVectors: Sendable {
    public let dims: Int
    public private(set) var count = 0
    private var codes: [Int8] = []
    private var scales: [Float] = []

    /// Bytes of the codes and scales.
    public var bytes: Int { codes.count + scales.count * MemoryLayout<Float>.stride }

    public init(dims: Int, reservingRows rows: Int = 0) {
        precondition(dims > 0)
        self.dims = dims
        codes.reserveCapacity(rows * dims)
        scales.reserveCapacity(rows)
    }

    public init(_ m: VectorMatrix) {
        self.init(dims: m.dims, reservingRows: m.count)
        for i in 0..<m.count { append(m.row(i)) }
    }

    public mutating func append(_ row: some Collection<Float>) {
        precondition(row.count == dims, "a \(row.count)-d row among \(dims)-d ones")
        let start = codes.count
        codes.append(contentsOf: repeatElement(0, count: dims))
        func quantize(_ v: UnsafeBufferPointer<Float>) -> Float {
            codes.withUnsafeMutableBufferPointer { c in
                Self.quantize(v, into: UnsafeMutableBufferPointer(rebasing: c[start..<(start + dims)]))
            }
        }
        // Arrays and their slices (every caller) are read in place, not copied.
        let scale = row.withContiguousStorageIfAvailable(quantize) ?? Array(row).withUnsafeBufferPointer(quantize)
        scales.append(scale)
        count += 1
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

    /// A query's codes, made once per search.
    struct Query {
        let codes: [Int8]
        let scale: Float

        init(_ query: [Float]) {
            var codes = [Int8](repeating: 0, count: query.count)
            scale = query.withUnsafeBufferPointer { v in
                codes.withUnsafeMutableBufferPointer { QuantizedVectors.quantize(v, into: $0) }
            }
            self.codes = codes
        }
    }

    /// Approximate dot products of `query` with every row, in row order, into `scores`. A large scan
    /// is split across `threads`: it is one search's latency, and bound by memory traffic that one
    /// core cannot draw alone (at 100,000 rows, 2 threads measured in docs/BENCHMARKS.md).
    func scores(
        _ query: [Float], into scores: inout [Float], threads: Int, rowsPerThread: Int = QuantizedVectors.rowsPerThread
    ) {
        precondition(query.count == dims && scores.count == count)
        let q = Query(query)
        let parts = max(1, min(threads, count / max(1, rowsPerThread)))
        scores.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out.baseAddress!
            ForkJoin.shared.split(0..<count, parts: parts) { _, rows in scan(q, rows: rows, into: out + rows.lowerBound)
            }
        }
    }

    /// Rows below which a scan stays on one thread (32 MB of codes at 1,280 dimensions).
    static let rowsPerThread = 25_000

    /// Approximate dot products of the query with the rows `rows` (contiguous), into `out`, on the
    /// kernel path `isa` (default: `InstructionSet`'s choice).
    func scan(_ q: Query, rows: Range<Int>, into out: UnsafeMutablePointer<Float>, isa: InstructionSet? = nil) {
        guard !rows.isEmpty else { return }
        codes.withUnsafeBufferPointer { c in
            scales.withUnsafeBufferPointer { s in
                let (codes, scales) = (c.baseAddress! + rows.lowerBound * dims, s.baseAddress! + rows.lowerBound)
                if let isa {
                    reco_int8_scores_isa(
                        isa.kernelValue, codes, scales, q.codes, q.scale, Int64(rows.count), Int64(dims), out)
                } else {
                    reco_int8_scores(codes, scales, q.codes, q.scale, Int64(rows.count), Int64(dims), out)
                }
            }
        }
    }

    /// The approximate dot product of the query with one row.
    func score(_ q: Query, row: Int) -> Float {
        var out: Float = 0
        scan(q, rows: row..<(row + 1), into: &out)
        return out
    }

    /// Rows `rows` decoded back to float32 (training search cells).
    func decoded(_ rows: [Int]) -> VectorMatrix {
        rows.withUnsafeBufferPointer { decode($0, scaled: true) }
    }

    /// Rows `rows`' codes as float32, each row unscaled (`KMeans.nearest(codes:)`: assigning every
    /// row to its search cell).
    func codes(_ rows: Range<Int>) -> VectorMatrix {
        Array(rows).withUnsafeBufferPointer { decode($0, scaled: false) }
    }

    private func decode(_ rows: UnsafeBufferPointer<Int>, scaled: Bool) -> VectorMatrix {
        let values = [Float](unsafeUninitializedCapacity: rows.count * dims) { out, initialized in
            codes.withUnsafeBufferPointer { c in
                for (i, r) in rows.enumerated() {
                    let scale = scaled ? scales[r] : 1
                    for j in 0..<dims { out[i * dims + j] = Float(c[r * dims + j]) * scale }
                }
            }
            initialized = rows.count * dims
        }
        return VectorMatrix(dims: dims, values: values)
    }
}
