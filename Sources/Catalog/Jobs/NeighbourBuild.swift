import Foundation
import Ranking

public struct NeighbourBuildSummary: Sendable, Equatable, Codable {
    public var items = 0
    public var k = 0
    public var seconds = 0.0
    public var json: String { JSON.encode(self) }
}

/// `reco neighbours rebuild`: reads every active item's vector for a model (streamed with binary
/// COPY), computes the exact top-K image neighbours, and replaces that model's rows of
/// `image_neighbours` in one transaction, so readers see the old table or the new one.
public struct NeighbourBuild: Sendable {
    public let database: Database
    public let model: String
    public var k = 100
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Use the approximate (inverted-file) search instead of the exact N² pass: for catalogs too
    /// large for it (docs/BENCHMARKS.md has the recall per probe count).
    public var approximate: ApproximateNeighbours.Parameters?
    /// Without `approximate`, catalogs of more vectors than this are built approximately
    /// (`defaultProbes`) anyway: the exact pass grows as N² (100,000 vectors: 2 minutes on 2 cores; a
    /// million: hours), the approximate one built a million in 230 s. nil: always exact.
    public var exactUpTo: Int? = Self.exactLimit
    public static let exactLimit = 200_000
    /// Cells probed per item above `exactLimit`: the fewest that reach recall@20 ≥ 0.95 on the
    /// real network's Fashion-MNIST vectors (0.951 at 16 of 4√N cells; 8 gave 0.863; docs/BENCHMARKS.md).
    public static let defaultProbes = 16

    public init(database: Database, model: String) {
        self.database = database
        self.model = model
    }

    public func run() throws -> NeighbourBuildSummary {
        try JobRuns(database: database).record(kind: "neighbours", model: model, counts: \.json) { try build() }
    }

    /// The full pass, unrecorded (`NeighbourUpdate` falls back to it).
    func build() throws -> NeighbourBuildSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let loaded = try loadVectors()
        let parameters =
            approximate ?? exactUpTo.flatMap { loaded.ids.count > $0 ? .init(probes: Self.defaultProbes) : nil }
        let lists =
            parameters.map { ApproximateNeighbours.compute(loaded.matrix, k: k, parameters: $0, workers: workers) }
            ?? ExactNeighbours.compute(loaded.matrix, k: k, workers: workers)
        try write(
            lists.enumerated().map { (Int32($0.offset), $0.element) }, of: loaded, replacingAll: true,
            seconds: (clock.now - start) / .seconds(1))
        return NeighbourBuildSummary(items: loaded.ids.count, k: k, seconds: (clock.now - start) / .seconds(1))
    }

    /// Stores lists (by row of `loaded`): all of the model's (a rebuild) or only those given (an
    /// update), and records that vectors up to the load are reflected, in one transaction.
    func write(
        _ lists: [(row: Int32, list: [Neighbour])], of loaded: LoadedVectors, replacingAll: Bool,
        seconds: Double
    ) throws {
        let rows: [[PGValue]] = lists.map { row, list in
            [
                .text(model), .text(loaded.ids[Int(row)]), .textArray(list.map { loaded.ids[Int($0.index)] }),
                .bytea(VectorCodec.encode(list.map(\.score))),
            ]
        }
        try database.withConnection { c in
            try c.transaction {
                if replacingAll {
                    try c.execute("DELETE FROM image_neighbours WHERE model = $1", [.text(model)])
                } else {
                    try c.execute("CREATE TEMP TABLE rewritten (item_id text PRIMARY KEY) ON COMMIT DROP")
                    try c.copyIn(
                        table: "rewritten", columns: ["item_id"], rows: lists.map { [.text(loaded.ids[Int($0.row)])] })
                    try c.execute(
                        "DELETE FROM image_neighbours n USING rewritten r WHERE n.model = $1 AND n.item_id = r.item_id",
                        [.text(model)])
                }
                try c.copyIn(
                    table: "image_neighbours", columns: ["model", "item_id", "neighbour_ids", "scores"], rows: rows)
                try c.execute(
                    """
                    INSERT INTO image_neighbour_builds (model, k, items, seconds, vectors_through) VALUES ($1, $2, $3,
                    $4, $5)
                    ON CONFLICT (model) DO UPDATE SET k = EXCLUDED.k, items = EXCLUDED.items, seconds =
                    EXCLUDED.seconds,
                        vectors_through = EXCLUDED.vectors_through, built_at = now()
                    """,
                    [
                        .text(model), .int32(Int32(k)), .int32(Int32(loaded.ids.count)), .float64(seconds),
                        .timestamp(loaded.asOf),
                    ])
            }
        }
    }

    struct LoadedVectors {
        var ids: [String] = []
        var matrix: VectorMatrix
        /// When each vector was written.
        var written: [Date] = []
        /// The database's time when the read began: later writes are not in it.
        var asOf: Date
    }

    /// Active items' vectors for the model, in item id order.
    func loadVectors() throws -> LoadedVectors {
        try database.withConnection { c in
            try c.transaction {
                let asOf = try c.query("SELECT now() AS t")[0].date("t")
                var ids: [String] = []
                var values: [Float] = []
                var written: [Date] = []
                try StoredVectors.read(c, model: model) { id, vector, time in
                    ids.append(id)
                    values += vector
                    written.append(time)
                }
                let dims = ids.isEmpty ? 0 : values.count / ids.count
                return LoadedVectors(
                    ids: ids, matrix: VectorMatrix(dims: max(dims, 1), values: values), written: written, asOf: asOf)
            }
        }
    }
}
