import Catalog
import Foundation

/// Stores the simulated sessions of the demo once: they are drawn over the catalog's items and
/// image neighbours (so the embeddings and neighbours come first), written as a views CSV in the
/// import format, and imported like a real log. A seed whose sessions are stored is not redone.
public struct DemoSessions: Sendable {
    public let database: Database
    public let model: String
    public var simulator = SessionSimulator()

    public init(database: Database, model: String) {
        self.database = database
        self.model = model
    }

    /// Events stored now (0 when this seed's sessions were stored before).
    public func run(csv: URL) throws -> Int {
        let (stored, items) = try database.withConnection { c -> (Bool, [SessionSimulator.Item]) in
            let prefix = "sim-\(simulator.seed)-%"
            if try c.query(
                "SELECT EXISTS (SELECT 1 FROM view_events WHERE session_id LIKE $1) AS stored", [.text(prefix)])[0]
                .bool("stored")
            {
                return (true, [])
            }
            let rows = try c.query("SELECT id, category FROM items WHERE active ORDER BY id")
            var index: [String: Int32] = [:]
            for (i, row) in rows.enumerated() { index[try row.string("id")] = Int32(i) }
            let lists = try c.transaction { try ImageNeighbourLists.read(c, model: model, index: index) }
            return (
                false,
                try rows.enumerated().map { i, row in
                    SessionSimulator.Item(
                        id: try row.string("id"), category: try row.string("category"),
                        similar: lists[i].map { Int($0.index) })
                }
            )
        }
        guard !stored else { return 0 }
        let events = simulator.run(items)
        try ViewEvent.writeCSV(events, to: csv)
        return try ViewImporter(database: database).run(path: csv.path).inserted
    }
}
