import Foundation

public struct ImportSummary: Sendable, Equatable {
    public var read = 0
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var deactivated = 0
    public var bad: [RowError] = []
    /// Rows that were kept but deserve a look (an id repeated within one file: the later row wins).
    public var warnings: [RowError] = []

    /// The counts as one JSON line (bad rows and warnings counted; their lines are listed apart).
    public var json: String {
        struct Counts: Encodable { let read, inserted, updated, unchanged, deactivated, bad, warnings: Int }
        return JSON.encode(
            Counts(
                read: read, inserted: inserted, updated: updated, unchanged: unchanged, deactivated: deactivated,
                bad: bad.count, warnings: warnings.count))
    }
}

/// `reco import catalog`: upserts items by id in batches; a bad row is reported with its line and
/// the rest go on. With `deactivateMissing`, items absent from this (full) import are deactivated.
public struct CatalogImporter: Sendable {
    public let database: Database
    public var batchSize = 500
    /// Local image paths outside it are bad rows.
    public var imageRoot = ImageRoot.configured

    public init(database: Database) { self.database = database }

    public func run(
        path: String, format: InputFormat? = nil, deactivateMissing: Bool = false,
        onBadRow: (RowError) -> Void = { _ in },
        onWarning: (RowError) -> Void = { _ in }
    ) throws -> ImportSummary {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var summary = ImportSummary()
        var batch: [(line: Int, row: CatalogRecord)] = []
        var seen: [String: Int] = [:]  // id → the line it was last on
        func flush() throws {
            for error in try write(batch, into: &summary) {
                summary.bad.append(error)
                onBadRow(error)
            }
            batch.removeAll(keepingCapacity: true)
        }
        return try JobRuns(database: database).record(kind: "import-catalog", counts: \.json, partial: { summary.json })
        {
            try RecordReader.read(path: path, format: format ?? .guess(path)) { line, row in
                summary.read += 1
                do throws(RowError) {
                    let record = try CatalogRecord(
                        fields: row.get(), line: line, baseDirectory: base, imageRoot: imageRoot)
                    if let earlier = seen.updateValue(line, forKey: record.id) {
                        let warning = RowError(
                            line: line, "id '\(record.id)' is also on line \(earlier); this later row wins")
                        summary.warnings.append(warning)
                        onWarning(warning)
                    }
                    batch.append((line, record))
                } catch {
                    summary.bad.append(error)
                    onBadRow(error)
                }
                if batch.count >= batchSize { try flush() }
            }
            try flush()
            if deactivateMissing { summary.deactivated = try deactivate(except: Set(seen.keys)) }
            // Keeps the log the services' version check counts small (Migrations/0008).
            try database.withConnection { _ = try $0.execute("SELECT fold_item_writes()") }
            return summary
        }
    }

    /// Writes a batch in one transaction (row by row when the database refuses it for its data);
    /// returns the refused rows.
    private func write(_ records: [(line: Int, row: CatalogRecord)], into summary: inout ImportSummary) throws
        -> [RowError]
    {
        try RefusedRows.writing(records) { rows in
            let (inserted, updated) = try database.withConnection { c in try c.transaction { try upsert(rows, c) } }
            summary.inserted += inserted
            summary.updated += updated
            summary.unchanged += rows.count - inserted - updated
        }
    }

    private func upsert(_ records: [CatalogRecord], _ c: PGConnection) throws -> (inserted: Int, updated: Int) {
        var inserted = 0
        var updated = 0
        for r in records {
            let rows = try c.query(
                """
                INSERT INTO items (id, title, category, attributes, image_uri, in_stock, active)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, true)
                ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, category = EXCLUDED.category,
                    attributes = EXCLUDED.attributes, image_uri = EXCLUDED.image_uri,
                    in_stock = EXCLUDED.in_stock, active = true, updated_at = now()
                WHERE (items.title, items.category, items.attributes, items.image_uri, items.in_stock, items.active)
                    IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.category, EXCLUDED.attributes, EXCLUDED.image_uri,
                                      EXCLUDED.in_stock, true)
                RETURNING (xmax = 0) AS inserted
                """,
                [
                    .text(r.id), .text(r.title), .text(r.category), .text(r.attributes),
                    r.image.map(PGValue.text) ?? .null, .bool(r.inStock),
                ], prepare: true)
            if let row = rows.first { if try row.bool("inserted") { inserted += 1 } else { updated += 1 } }
            if let image = r.image {
                // A new image location invalidates what we knew about the old one.
                try c.execute(
                    """
                    INSERT INTO item_images (item_id, uri) VALUES ($1, $2)
                    ON CONFLICT (item_id) DO UPDATE SET uri = EXCLUDED.uri, file_size = NULL, file_mtime = NULL,
                        etag = NULL, last_modified = NULL, needs_embedding = true
                    WHERE item_images.uri IS DISTINCT FROM EXCLUDED.uri
                    """, [.text(r.id), .text(image)], prepare: true)
            } else {
                try c.execute("DELETE FROM item_images WHERE item_id = $1", [.text(r.id)], prepare: true)
            }
        }
        return (inserted, updated)
    }

    private func deactivate(except seen: Set<String>) throws -> Int {
        try database.withConnection { c in
            try c.transaction {
                try c.execute("CREATE TEMP TABLE seen_ids (id text PRIMARY KEY) ON COMMIT DROP")
                try c.copyIn(table: "seen_ids", columns: ["id"], rows: seen.map { [.text($0)] })
                return try c.execute(
                    """
                    UPDATE items SET active = false, updated_at = now()
                    WHERE active AND NOT EXISTS (SELECT 1 FROM seen_ids s WHERE s.id = items.id)
                    """)
            }
        }
    }
}

/// `reco import views`: appends view events with binary COPY, in batches.
public struct ViewImporter: Sendable {
    public let database: Database
    public var batchSize = 5000

    public init(database: Database) { self.database = database }

    public func run(path: String, format: InputFormat? = nil, onBadRow: (RowError) -> Void = { _ in }) throws
        -> ImportSummary
    {
        var summary = ImportSummary()
        var batch: [(line: Int, row: ViewEvent)] = []
        func flush() throws {
            // One COPY for the batch (one per event when the database refuses it for its data).
            let refused = try RefusedRows.writing(batch) { try append($0) }
            summary.inserted += batch.count - refused.count
            for error in refused {
                summary.bad.append(error)
                onBadRow(error)
            }
            batch.removeAll(keepingCapacity: true)
        }
        return try JobRuns(database: database).record(kind: "import-views", counts: \.json, partial: { summary.json }) {
            let now = Date()
            try RecordReader.read(path: path, format: format ?? .guess(path)) { line, row in
                summary.read += 1
                do throws(RowError) {
                    batch.append((line, try ViewEvent(fields: row.get(), line: line, now: now)))
                } catch {
                    summary.bad.append(error)
                    onBadRow(error)
                }
                if batch.count >= batchSize { try flush() }
            }
            try flush()
            return summary
        }
    }

    /// One COPY: all the events are stored, or none.
    public func append(_ events: [ViewEvent], retryOnConnectionLoss: Bool = false) throws {
        guard !events.isEmpty else { return }
        try database.withConnection(retryOnConnectionLoss: retryOnConnectionLoss) { c in
            try c.copyIn(
                table: "view_events", columns: ["session_id", "item_id", "viewed_at"],
                rows: events.map { [.text($0.sessionID), .text($0.itemID), .timestamp($0.viewedAt)] })
        }
    }
}

/// Writing a batch so that one row the database refuses for its data (SQLSTATE classes 22, 23,
/// 54) costs only that row: the batch is written whole, and if it is refused, row by row.
enum RefusedRows {
    /// `write` gets the whole batch, or single rows after a refusal; returns the refused rows.
    static func writing<Row>(_ batch: [(line: Int, row: Row)], _ write: ([Row]) throws -> Void) throws -> [RowError] {
        guard !batch.isEmpty else { return [] }
        do {
            try write(batch.map(\.row))
            return []
        } catch let error as PostgresError where error.isCausedByData {
            var refused: [RowError] = []
            for (line, row) in batch {
                do {
                    try write([row])
                } catch let error as PostgresError where error.isCausedByData {
                    refused.append(RowError(line: line, "refused by the database: \(error.firstLine)"))
                }
            }
            return refused
        }
    }
}
