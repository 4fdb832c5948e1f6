import Compute
import Embedding
import Foundation
import Synchronization

/// Options of one embedding run.
public struct EmbeddingJobOptions: Sendable {
    public var selection: WorkSelection = .pending
    /// Items claimed (and locked) per transaction.
    public var batchSize = 32
    /// Claim loops, each embedding its batches on its own thread (default: one per core).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// First retry delay of a failing image; doubles per attempt, capped at a week.
    public var retryAfter: TimeInterval = 3600
    public var loader = ImageLoader()
    public init() {}
}

public struct EmbeddingJobSummary: Sendable, Equatable, Codable {
    public var total = 0
    public var embedded = 0
    public var failed = 0
    public var seconds = 0.0

    public var json: String { JSON.encode(self) }
}

/// Embeds items' images and writes their vectors, in claimed batches: each batch is selected with
/// `FOR UPDATE SKIP LOCKED` and written (binary COPY into a staging table, then upserts) in the
/// same transaction. So any number of processes on any number of machines can run at once
/// without embedding an item twice, and a run killed at any point loses at most its open batch,
/// which the next run picks up. A failing image is recorded in `embedding_failures` with its
/// reason and retried after a back-off; the run goes on.
public struct EmbeddingJob: Sendable {
    public let database: Database
    public let embedder: Embedder
    public let options: EmbeddingJobOptions

    public init(database: Database, embedder: Embedder, options: EmbeddingJobOptions = EmbeddingJobOptions()) {
        self.database = database
        self.embedder = embedder
        self.options = options
    }

    public var model: String { embedder.modelIdentifier }

    /// Runs to the end of the selected work. `progress` is called after every batch.
    public func run(kind: String = "backfill", progress: @Sendable (EmbeddingJobSummary) -> Void = { _ in }) throws
        -> EmbeddingJobSummary
    {
        let started = Date()
        let clock = ContinuousClock()
        let start = clock.now
        var summary = EmbeddingJobSummary()
        let partial = { () -> String in
            summary.seconds = (clock.now - start) / .seconds(1)
            return summary.json
        }
        return try JobRuns(database: database).record(kind: kind, model: model, counts: \.json, partial: partial) {
            if options.selection.marksItems { try markSelected() }
            try queueMissing()
            summary.total = try countWork(runStart: started)
            progress(summary)
            // One claim loop per worker, each with its own connection and transaction: while one
            // lane writes its batch, the others compute, so both cores stay busy.
            let shared = Mutex((summary: summary, error: (any Error)?.none))
            Parallel.lanes(options.workers) { _ in
                while shared.withLock({ $0.error == nil }) {
                    do {
                        let (embedded, failed) = try processBatch(runStart: started)
                        if embedded + failed == 0 { return }
                        shared.withLock {
                            $0.summary.embedded += embedded
                            $0.summary.failed += failed
                            $0.summary.seconds = (clock.now - start) / .seconds(1)
                            progress($0.summary)
                        }
                    } catch {
                        shared.withLock { $0.error = $0.error ?? error }
                        return
                    }
                }
            }
            let (result, failure) = shared.withLock { ($0.summary, $0.error) }
            summary = result
            if let failure { throw failure }
            summary.seconds = (clock.now - start) / .seconds(1)
            return summary
        }
    }

    // MARK: - SQL

    /// Work this run may claim: active items with a queued image, minus images still backing off
    /// after a failure (or that failed during this run). Only the flag of the locked row decides:
    /// PostgreSQL re-checks it on a row another lane just committed, but would evaluate a
    /// subquery on `embeddings` with the claim's older snapshot, and claim that row again.
    private func workCondition(runStart: Date) -> (sql: String, params: [PGValue]) {
        let filter = options.selection.condition(firstParameter: 3)
        let sql = """
            i.active
            AND ii.needs_embedding
            AND NOT EXISTS (SELECT 1 FROM embedding_failures f WHERE f.item_id = i.id AND f.model = $1
                            AND (f.next_attempt_at > now() OR f.last_attempt_at >= $2))
            AND \(filter.sql)
            """
        return (sql, [.text(model), .timestamp(runStart)] + filter.params)
    }

    /// Items without a vector for the model join the queue (a new item, a new model).
    private func queueMissing() throws {
        try database.withConnection(retryOnConnectionLoss: true) { c in
            try c.execute(
                """
                UPDATE item_images ii SET needs_embedding = true
                FROM items i WHERE i.id = ii.item_id AND i.active AND NOT ii.needs_embedding
                AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = i.id AND e.model = $1)
                """, [.text(model)])
        }
    }

    private func markSelected() throws {
        let filter = options.selection.condition(firstParameter: 2)
        try database.withConnection(retryOnConnectionLoss: true) { c in
            try c.execute(
                """
                UPDATE item_images ii SET needs_embedding = true
                FROM items i WHERE i.id = ii.item_id AND i.active AND NOT ii.needs_embedding AND \(filter.sql)
                """, [.text(model)] + filter.params)
        }
    }

    private func countWork(runStart: Date) throws -> Int {
        let (condition, params) = workCondition(runStart: runStart)
        return try database.withConnection(retryOnConnectionLoss: true) { c in
            try c.query(
                "SELECT count(*) AS n FROM items i JOIN item_images ii ON ii.item_id = i.id WHERE \(condition)", params
            )
            .first!.int("n")
        }
    }

    private struct Claimed {
        let id: String
        let uri: String
    }

    /// Claims, embeds and writes one batch in one transaction; returns (embedded, failed).
    private func processBatch(runStart: Date) throws -> (Int, Int) {
        let (condition, params) = workCondition(runStart: runStart)
        return try database.withConnection { c in
            try c.transaction {
                let claimed = try c.query(
                    """
                    SELECT i.id, ii.uri FROM items i JOIN item_images ii ON ii.item_id = i.id
                    WHERE \(condition)
                    ORDER BY i.id LIMIT $\(params.count + 1)
                    FOR UPDATE OF ii SKIP LOCKED
                    """, params + [.int64(Int64(max(1, options.batchSize)))]
                ).map { Claimed(id: try $0.string("id"), uri: try $0.string("uri")) }
                if claimed.isEmpty { return (0, 0) }
                let (done, failures) = embed(claimed)
                try write(done, on: c)
                for (item, error) in failures { try recordFailure(item: item.id, error: error, on: c) }
                return (done.count, failures.count)
            }
        }
    }

    private struct Done {
        let id: String
        let image: LoadedImage
        let vector: [Float]
    }

    /// Reads and embeds the claimed images on this lane's thread.
    private func embed(_ claimed: [Claimed]) -> ([Done], [(Claimed, any Error)]) {
        var done: [Done] = []
        var failed: [(Claimed, any Error)] = []
        for item in claimed {
            do {
                guard let image = try options.loader.load(item.uri) else {
                    throw ImageLoadError.network("unexpected 304")
                }
                done.append(Done(id: item.id, image: image, vector: try embedder.embed(image.bytes).vector))
            } catch {
                failed.append((item, error))
            }
        }
        return (done, failed)
    }

    private func write(_ done: [Done], on c: PGConnection) throws {
        guard !done.isEmpty else { return }
        try c.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS staged_embeddings (
                item_id text, model text, dims integer, vector bytea, image_sha256 bytea,
                file_size bigint, file_mtime timestamptz, etag text, last_modified text
            ) ON COMMIT DELETE ROWS
            """)
        try c.copyIn(
            table: "staged_embeddings",
            columns: [
                "item_id", "model", "dims", "vector", "image_sha256", "file_size", "file_mtime", "etag",
                "last_modified",
            ],
            rows: done.map { d in
                let v = d.image.validators
                return [
                    .text(d.id), .text(model), .int32(Int32(d.vector.count)), .bytea(VectorCodec.encode(d.vector)),
                    .bytea(d.image.sha256), v.fileSize.map { .int64(Int64($0)) } ?? .null,
                    v.fileModified.map(PGValue.timestamp) ?? .null, v.etag.map(PGValue.text) ?? .null,
                    v.lastModified.map(PGValue.text) ?? .null,
                ]
            })
        try c.execute(
            """
            INSERT INTO embeddings (item_id, model, dims, vector, image_sha256, created_at)
            SELECT item_id, model, dims, vector, image_sha256, now() FROM staged_embeddings
            ON CONFLICT (item_id, model) DO UPDATE SET dims = EXCLUDED.dims, vector = EXCLUDED.vector,
                image_sha256 = EXCLUDED.image_sha256, created_at = now()
            """)
        try c.execute(
            """
            UPDATE item_images ii SET content_sha256 = s.image_sha256, file_size = s.file_size, file_mtime =
            s.file_mtime,
                etag = s.etag, last_modified = s.last_modified, checked_at = now(), last_error = NULL, needs_embedding
                = false
            FROM staged_embeddings s WHERE ii.item_id = s.item_id
            """)
        try c.execute(
            "DELETE FROM embedding_failures f USING staged_embeddings s WHERE f.item_id = s.item_id AND f.model = "
                + "s.model"
        )
    }

    private func recordFailure(item: String, error: any Error, on c: PGConnection) throws {
        let code = (error as? any CodedError)?.code ?? (error as? ImageLoadError)?.code ?? "error"
        let message = "\(error)"
        try c.execute(
            """
            INSERT INTO embedding_failures (item_id, model, error_class, message, next_attempt_at)
            VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
            ON CONFLICT (item_id, model) DO UPDATE SET error_class = EXCLUDED.error_class, message = EXCLUDED.message,
                attempts = embedding_failures.attempts + 1, last_attempt_at = now(),
                next_attempt_at = now() + make_interval(secs => least($5 * power(2, embedding_failures.attempts),
                604800))
            """, [.text(item), .text(model), .text(code), .text(message), .float64(options.retryAfter)], prepare: true)
        try c.execute(
            "UPDATE item_images SET last_error = $2, checked_at = now() WHERE item_id = $1",
            [.text(item), .text(message)], prepare: true)
    }
}
