import Foundation
import Ranking

public struct NeighbourBuildSummary: Sendable, Equatable {
    public var items = 0
    public var k = 0
    public var seconds = 0.0
    public var json: String { "{\"items\":\(items),\"k\":\(k),\"seconds\":\(seconds)}" }
}

/// `reco neighbours rebuild`: reads every active item's vector for a model (streamed with binary
/// COPY), computes the exact top-K image neighbours, and replaces that model's rows of
/// `image_neighbours` in one transaction, so readers see the old table or the new one.
public struct NeighbourBuild: Sendable {
    public let database: Database
    public let model: String
    public var k = 100
    public var workers = ProcessInfo.processInfo.activeProcessorCount

    public init(database: Database, model: String) {
        self.database = database
        self.model = model
    }

    public func run() throws -> NeighbourBuildSummary {
        let clock = ContinuousClock(), start = clock.now
        return try JobRuns(database: database).record(kind: "neighbours", model: model, counts: \.json) {
            let (ids, matrix) = try loadVectors()
            let lists = ExactNeighbours.compute(matrix, k: k, workers: workers)
            var rows: [[PGValue]] = []
            rows.reserveCapacity(ids.count * k)
            for (i, list) in lists.enumerated() {
                for (rank, n) in list.enumerated() {
                    rows.append([.text(model), .text(ids[i]), .int32(Int32(rank + 1)), .text(ids[Int(n.index)]), .float64(Double(n.score))])
                }
            }
            let seconds = (clock.now - start) / .seconds(1)
            try database.withConnection { c in
                try c.transaction {
                    try c.execute("DELETE FROM image_neighbours WHERE model = $1", [.text(model)])
                    try c.copyIn(table: "image_neighbours", columns: ["model", "item_id", "rank", "neighbour_id", "score"], rows: rows)
                    try c.execute("""
                        INSERT INTO image_neighbour_builds (model, k, items, seconds) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (model) DO UPDATE SET k = EXCLUDED.k, items = EXCLUDED.items, seconds = EXCLUDED.seconds, built_at = now()
                        """, [.text(model), .int32(Int32(k)), .int32(Int32(ids.count)), .float64(seconds)])
                }
            }
            return NeighbourBuildSummary(items: ids.count, k: k, seconds: (clock.now - start) / .seconds(1))
        }
    }

    /// Active items' vectors for the model, in item id order. COPY takes no parameters, so the
    /// model is passed through a temporary table rather than spliced into the SQL.
    func loadVectors() throws -> ([String], VectorMatrix) {
        try database.withConnection { c in
            try c.transaction {
                try c.execute("CREATE TEMP TABLE wanted_model (model text) ON COMMIT DROP")
                try c.execute("INSERT INTO wanted_model VALUES ($1)", [.text(model)])
                var ids: [String] = [], values: [Float] = [], dims = 0
                try c.copyOut("""
                    SELECT e.item_id, e.vector FROM embeddings e JOIN items i ON i.id = e.item_id
                    WHERE i.active AND e.model = (SELECT model FROM wanted_model) ORDER BY e.item_id
                    """, columns: [.text, .bytea]) { row in
                    let vector = try VectorCodec.decode(row.bytes("c1"))
                    if dims == 0 { dims = vector.count }
                    guard vector.count == dims else { throw PostgresError(.decoding, "vector of \(vector.count) floats among \(dims)-d ones") }
                    ids.append(try row.string("c0"))
                    values += vector
                }
                return (ids, VectorMatrix(dims: max(dims, 1), values: values))
            }
        }
    }
}
