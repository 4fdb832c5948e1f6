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

    public var json: String {
        "{\"read\":\(read),\"inserted\":\(inserted),\"updated\":\(updated),\"unchanged\":\(unchanged),"
            + "\"deactivated\":\(deactivated),\"bad\":\(bad.count),\"warnings\":\(warnings.count)}"
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

    public func run(path: String, format: InputFormat? = nil, deactivateMissing: Bool = false,
                    onBadRow: (RowError) -> Void = { _ in }, onWarning: (RowError) -> Void = { _ in }) throws -> ImportSummary {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var summary = ImportSummary()
        var batch: [(line: Int, record: CatalogRecord)] = []
        var seen: [String: Int] = [:]  // id → the line it was last on
        func flush() throws {
            for error in try write(batch, into: &summary) {
                summary.bad.append(error)
                onBadRow(error)
            }
            batch.removeAll(keepingCapacity: true)
        }
        return try JobRuns(database: database).record(kind: "import-catalog", counts: \.json, partial: { summary.json }) {
            try RecordReader.read(path: path, format: format ?? .guess(path)) { line, row in
                summary.read += 1
                do throws(RowError) {
                    let record = try CatalogRecord(fields: row.get(), line: line, baseDirectory: base, imageRoot: imageRoot)
                    if let earlier = seen.updateValue(line, forKey: record.id) {
                        let warning = RowError(line: line, "id '\(record.id)' is also on line \(earlier); this later row wins")
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
            return summary
        }
    }

    /// Writes a batch in one transaction. When the database refuses a row for its data, the batch
    /// is written again row by row, so only the rows it refuses are lost; they are returned.
    private func write(_ records: [(line: Int, record: CatalogRecord)], into summary: inout ImportSummary) throws -> [RowError] {
        guard !records.isEmpty else { return [] }
        do {
            let (inserted, updated) = try database.withConnection { c in try c.transaction { try upsert(records.map(\.record), c) } }
            summary.inserted += inserted
            summary.updated += updated
            summary.unchanged += records.count - inserted - updated
            return []
        } catch let error as PostgresError where error.isCausedByData {
            var bad: [RowError] = []
            for (line, record) in records {
                do {
                    let (inserted, updated) = try database.withConnection { c in try c.transaction { try upsert([record], c) } }
                    summary.inserted += inserted
                    summary.updated += updated
                    summary.unchanged += 1 - inserted - updated
                } catch let error as PostgresError where error.isCausedByData {
                    bad.append(RowError(line: line, "refused by the database: \(error.firstLine)"))
                }
            }
            return bad
        }
    }

    private func upsert(_ records: [CatalogRecord], _ c: PGConnection) throws -> (inserted: Int, updated: Int) {
        var inserted = 0, updated = 0
        for r in records {
            let rows = try c.query("""
                INSERT INTO items (id, title, category, attributes, image_uri, in_stock, active)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, true)
                ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, category = EXCLUDED.category,
                    attributes = EXCLUDED.attributes, image_uri = EXCLUDED.image_uri,
                    in_stock = EXCLUDED.in_stock, active = true, updated_at = now()
                WHERE (items.title, items.category, items.attributes, items.image_uri, items.in_stock, items.active)
                    IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.category, EXCLUDED.attributes, EXCLUDED.image_uri,
                                      EXCLUDED.in_stock, true)
                RETURNING (xmax = 0) AS inserted
                """, [.text(r.id), .text(r.title), .text(r.category), .text(r.attributes),
                      r.image.map(PGValue.text) ?? .null, .bool(r.inStock)], prepare: true)
            if let row = rows.first { if try row.bool("inserted") { inserted += 1 } else { updated += 1 } }
            if let image = r.image {
                // A new image location invalidates what we knew about the old one.
                try c.execute("""
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
                return try c.execute("""
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

    public func run(path: String, format: InputFormat? = nil, onBadRow: (RowError) -> Void = { _ in }) throws -> ImportSummary {
        var summary = ImportSummary()
        var batch: [(line: Int, event: ViewEvent)] = []
        func flush() throws {
            let refused = try appendKeepingGoodRows(batch)
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

    /// One COPY for the batch; if the database refuses it for its data, one COPY per event, and the
    /// refused events are returned.
    private func appendKeepingGoodRows(_ batch: [(line: Int, event: ViewEvent)]) throws -> [RowError] {
        do {
            try append(batch.map(\.event))
            return []
        } catch let error as PostgresError where error.isCausedByData {
            var refused: [RowError] = []
            for (line, event) in batch {
                do {
                    try append([event])
                } catch let error as PostgresError where error.isCausedByData {
                    refused.append(RowError(line: line, "refused by the database: \(error.firstLine)"))
                }
            }
            return refused
        }
    }

    /// One COPY: all the events are stored, or none.
    public func append(_ events: [ViewEvent], retryOnConnectionLoss: Bool = false) throws {
        guard !events.isEmpty else { return }
        try database.withConnection(retryOnConnectionLoss: retryOnConnectionLoss) { c in
            try c.copyIn(table: "view_events", columns: ["session_id", "item_id", "viewed_at"],
                         rows: events.map { [.text($0.sessionID), .text($0.itemID), .timestamp($0.viewedAt)] })
        }
    }
}
