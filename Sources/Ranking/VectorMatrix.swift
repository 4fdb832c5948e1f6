import Compute

/// Row-major [count × dims] float32 vectors (L2-normalised, so a dot product is a cosine).
public struct VectorMatrix: Sendable {
    public let count: Int
    public let dims: Int
    public var values: [Float]

    public init(dims: Int, values: [Float]) {
        precondition(dims > 0 && values.count % dims == 0, "values must be a whole number of \(dims)-d rows")
        self.dims = dims
        self.count = values.count / dims
        self.values = values
    }

    public init(rows: [[Float]]) {
        let dims = rows.first?.count ?? 1
        precondition(rows.allSatisfy { $0.count == dims }, "rows of different lengths")
        self.init(dims: dims, values: rows.flatMap { $0 })
    }

    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dims)..<((i + 1) * dims)] }
}

extension VectorMatrix {
    /// The cosine of `query` with every row (one SGEMV).
    func cosines(_ query: [Float]) -> [Float] {
        precondition(query.count == dims, "a \(query.count)-d query against \(dims)-d vectors")
        var scores = [Float](repeating: 0, count: count)
        values.withUnsafeBufferPointer { m in
            scores.withUnsafeMutableBufferPointer {
                BLAS.multiply(m.baseAddress!, rows: count, columns: dims, by: query, into: $0.baseAddress!)
            }
        }
        return scores
    }

    /// The cosine of `query` with each of the given rows, in their order.
    func cosines(_ query: [Float], rows: some Sequence<Int32>) -> [(row: Int32, score: Float)] {
        precondition(query.count == dims, "a \(query.count)-d query against \(dims)-d vectors")
        return values.withUnsafeBufferPointer { m in
            rows.map { ($0, BLAS.dot(m.baseAddress! + Int($0) * dims, query, count: dims)) }
        }
    }
}
