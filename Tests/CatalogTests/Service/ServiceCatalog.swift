import Foundation

@testable import Catalog

/// A small catalog written straight into the database, with hand-placed 3-d vectors, so the
/// expected neighbours are obvious; image neighbours are then computed by the real job.
enum ServiceCatalog {
    static let model = "test-model/1"

    struct Item {
        let id: String
        let category: String
        var vector: [Float]?
        var inStock = true
        var active = true
    }

    static let items: [Item] = [
        Item(id: "a1", category: "shoes", vector: [1, 0, 0]),
        Item(id: "a2", category: "shoes", vector: [0.9, 0.1, 0]),
        Item(id: "a3", category: "shoes", vector: [0.7, 0.3, 0]),
        Item(id: "a4", category: "shoes", vector: [0.95, 0.05, 0], inStock: false),
        Item(id: "a5", category: "shoes", vector: [0.99, 0.01, 0], active: false),
        Item(id: "a6", category: "shoes", vector: nil),
        Item(id: "b1", category: "bags", vector: [0, 1, 0]),
        Item(id: "b2", category: "bags", vector: [0.1, 0.9, 0.1]),
    ]

    static func write(_ items: [Item], to db: Database) throws {
        try db.withConnection { c in
            for item in items {
                try c.execute(
                    """
                    INSERT INTO items (id, title, category, in_stock, active) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, in_stock = EXCLUDED.in_stock,
                        active = EXCLUDED.active, updated_at = now()
                    """,
                    [
                        .text(item.id), .text("Item \(item.id)"), .text(item.category), .bool(item.inStock),
                        .bool(item.active),
                    ])
                if let v = item.vector {
                    let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
                    try c.execute(
                        """
                        INSERT INTO embeddings (item_id, model, dims, vector, image_sha256) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (item_id, model) DO UPDATE SET vector = EXCLUDED.vector, created_at = now()
                        """,
                        [
                            .text(item.id), .text(model), .int32(Int32(v.count)),
                            .bytea(VectorCodec.encode(v.map { $0 / norm })),
                            .bytea(Array(item.id.utf8)),
                        ])
                }
            }
        }
    }

    /// A migrated database holding `items`, with exact image neighbours.
    static func make(on url: String? = nil) throws -> Database {
        let db =
            try url.map { u in
                try Migrator(directory: TestDatabase.migrationsDirectory).apply(to: PGConnection(url: u))
                return Database(url: u)
            } ?? TestDatabase.makeMigrated()
        try write(items, to: db)
        _ = try NeighbourBuild(database: db, model: model).run()
        return db
    }

    static func viewsJSON(_ sessions: [(String, [String])], at time: Date = Date()) -> Data {
        var events: [[String: String]] = []
        for (session, items) in sessions {
            for (i, item) in items.enumerated() {
                events.append([
                    "session_id": session, "item_id": item,
                    "viewed_at": ISO8601.format(time.addingTimeInterval(Double(i))),
                ])
            }
        }
        return try! JSONSerialization.data(withJSONObject: events)
    }
}
