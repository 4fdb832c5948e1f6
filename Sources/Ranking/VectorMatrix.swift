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
