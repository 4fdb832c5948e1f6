import Foundation

/// What `reco status` reports.
public struct CatalogStatus: Sendable {
    public struct JobRun: Sendable {
        public let id: Int, kind: String, status: String, startedAt: Date, finishedAt: Date?, counts: String,
            message: String?
    }

    public let model: String
    public let items: Int
    public let active: Int
    public let withImage: Int
    public let embedded: Int
    public let missing: Int
    public let failing: Int
    public let queued: Int
    public let viewEvents: Int
    public let lastRuns: [JobRun]

    public static func read(database: Database, model: String) throws -> CatalogStatus {
        try database.withConnection(retryOnConnectionLoss: true) { c in
            let r = try c.query(
                """
                SELECT
                  (SELECT count(*) FROM items) AS items,
                  (SELECT count(*) FROM items WHERE active) AS active,
                  (SELECT count(*) FROM items i JOIN item_images ii ON ii.item_id = i.id WHERE i.active) AS with_image,
                  (SELECT count(*) FROM items i JOIN embeddings e ON e.item_id = i.id AND e.model = $1 WHERE i.active)
                  AS embedded,
                  (SELECT count(*) FROM items i JOIN item_images ii ON ii.item_id = i.id WHERE i.active
                      AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = i.id AND e.model = $1)) AS missing,
                  (SELECT count(*) FROM embedding_failures f JOIN items i ON i.id = f.item_id WHERE i.active AND
                  f.model = $1) AS failing,
                  (SELECT count(*) FROM item_images ii JOIN items i ON i.id = ii.item_id WHERE i.active AND
                  ii.needs_embedding) AS queued,
                  (SELECT count(*) FROM view_events) AS view_events
                """, [.text(model)]
            ).first!
            let runs = try c.query(
                """
                SELECT id, kind, status, started_at, finished_at, counts::text AS counts, message
                FROM job_runs ORDER BY started_at DESC, id DESC LIMIT 8
                """
            ).map {
                JobRun(
                    id: try $0.int("id"), kind: try $0.string("kind"), status: try $0.string("status"),
                    startedAt: try $0.date("started_at"), finishedAt: try $0.optionalDate("finished_at"),
                    counts: try $0.string("counts"), message: try $0.optionalString("message"))
            }
            return CatalogStatus(
                model: model, items: try r.int("items"), active: try r.int("active"),
                withImage: try r.int("with_image"),
                embedded: try r.int("embedded"), missing: try r.int("missing"), failing: try r.int("failing"),
                queued: try r.int("queued"), viewEvents: try r.int("view_events"), lastRuns: runs)
        }
    }
}

/// One row of `reco failures`.
public struct EmbeddingFailure: Sendable {
    public let itemID: String, model: String, errorClass: String, message: String, attempts: Int
    public let lastAttemptAt: Date, nextAttemptAt: Date

    public static func list(database: Database, model: String?, limit: Int = 100) throws -> [EmbeddingFailure] {
        try database.withConnection(retryOnConnectionLoss: true) { c in
            try c.query(
                """
                SELECT item_id, model, error_class, message, attempts, last_attempt_at, next_attempt_at
                FROM embedding_failures WHERE ($1::text IS NULL OR model = $1)
                ORDER BY last_attempt_at DESC, item_id LIMIT $2
                """, [model.map(PGValue.text) ?? .null, .int64(Int64(limit))]
            ).map {
                EmbeddingFailure(
                    itemID: try $0.string("item_id"), model: try $0.string("model"),
                    errorClass: try $0.string("error_class"),
                    message: try $0.string("message"), attempts: try $0.int("attempts"),
                    lastAttemptAt: try $0.date("last_attempt_at"), nextAttemptAt: try $0.date("next_attempt_at"))
            }
        }
    }
}
