import Foundation
import Ranking

public struct NeighbourUpdateSummary: Sendable, Equatable, Codable {
    /// Items whose vectors were new or changed since the last build or update.
    public var changed = 0
    /// Lists rewritten.
    public var rewritten = 0
    public var items = 0
    /// A full rebuild ran instead (no lists yet for the model, or too much changed).
    public var full = false
    /// The changed rows were compared with their probed cells' members, not with every row.
    public var approximate = false
    public var seconds = 0.0
    public var json: String { JSON.encode(self) }
}

/// `reco neighbours update` (and the end of backfill and nightly): brings the model's stored
/// image neighbours up to date with vectors written since the last build or update by rewriting
/// only the lists that change: exactly (`IncrementalNeighbours`, changed × all rows) up to
/// `exactUpTo` vectors, as the rebuild, and through k-means cells above
/// (`ApproximateNeighbours.update`). With no lists for the model yet (a new model) or a quarter
/// of the vectors changed, it runs the full rebuild instead.
public struct NeighbourUpdate: Sendable {
    public let database: Database
    public let model: String
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Neighbours per item when there are no lists yet (otherwise the stored build's K).
    public var k = 100
    /// Vectors written this long before the last update are read again: a transaction that
    /// commits late may carry an older timestamp. Re-reading is harmless.
    public var overlap: TimeInterval = 300
    /// Forces the approximate update with these cells and probes.
    public var approximate: ApproximateNeighbours.Parameters?
    /// Without `approximate`, catalogs of more vectors than this are updated approximately (√N
    /// cells, 8 probed); nil: always exact.
    public var exactUpTo: Int? = NeighbourBuild.exactLimit

    public init(database: Database, model: String) {
        self.database = database
        self.model = model
    }

    public func run() throws -> NeighbourUpdateSummary {
        let clock = ContinuousClock()
        let start = clock.now
        return try JobRuns(database: database).record(kind: "neighbours-update", model: model, counts: \.json) {
            let last = try database.withConnection { c in
                try c.query("SELECT k, vectors_through FROM image_neighbour_builds WHERE model = $1", [.text(model)])
                    .first
            }
            var builder = NeighbourBuild(database: database, model: model)
            builder.workers = workers
            builder.k = k
            builder.approximate = approximate
            builder.exactUpTo = exactUpTo
            guard let last, let through = try last.optionalDate("vectors_through") else {
                let full = try builder.build()
                return NeighbourUpdateSummary(
                    changed: full.items, rewritten: full.items, items: full.items, full: true, seconds: full.seconds)
            }
            builder.k = try last.int("k")
            let loaded = try builder.loadVectors()
            let index = Dictionary(uniqueKeysWithValues: loaded.ids.enumerated().map { ($0.element, Int32($0.offset)) })
            let lists = try database.withConnection { c in
                try c.transaction { try ImageNeighbourLists.read(c, model: model, index: index) }
            }
            let since = through.addingTimeInterval(-overlap)
            let changed = Set(
                loaded.written.indices.filter { loaded.written[$0] >= since || lists[$0].isEmpty }.map(Int32.init))
            var summary = NeighbourUpdateSummary(changed: changed.count, items: loaded.ids.count)
            guard !changed.isEmpty else { return summary }
            if changed.count * 4 > loaded.ids.count {
                let full = try builder.build()
                return NeighbourUpdateSummary(
                    changed: changed.count, rewritten: full.items, items: full.items, full: true, seconds: full.seconds)
            }
            let n = loaded.ids.count
            let cells = approximate ?? exactUpTo.flatMap { n > $0 ? .init(probes: 8) : nil }
            summary.approximate = cells != nil
            let updates =
                cells.map {
                    ApproximateNeighbours.update(
                        loaded.matrix, changed: changed, lists: lists, k: builder.k, parameters: $0, workers: workers)
                }
                ?? IncrementalNeighbours.update(
                    loaded.matrix, changed: changed, lists: lists, k: builder.k, workers: workers)
            let seconds = (clock.now - start) / .seconds(1)
            try builder.write(
                updates.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, of: loaded, replacingAll: false,
                seconds: seconds)
            summary.rewritten = updates.count
            summary.seconds = (clock.now - start) / .seconds(1)
            return summary
        }
    }
}
