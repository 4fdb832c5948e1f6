import Embedding
import Foundation

public struct NightlySummary: Sendable, Equatable, Codable {
    public var scanned = 0
    /// Content differs from what was embedded: queued for re-embedding.
    public var changed = 0
    /// Size/mtime or validators changed but the bytes hash the same: only the validators were updated.
    public var touched = 0
    public var embedding = EmbeddingJobSummary()

    public var json: String { JSON.encode(self) }
}

/// The scheduled job: finds new and changed images cheaply (file size and mtime; for URLs a
/// conditional request with the stored ETag / Last-Modified), confirms a change by the content
/// hash, queues what changed, then runs the embedding job over the queue. Items with no vector
/// for the configured model are in that queue too, so a model change re-embeds everything.
public struct NightlyJob: Sendable {
    public let job: EmbeddingJob
    public init(job: EmbeddingJob) { self.job = job }

    public func run(progress: @Sendable (EmbeddingJobSummary) -> Void = { _ in }) throws -> NightlySummary {
        var summary = NightlySummary()
        var after = ""
        while true {
            let rows = try job.database.withConnection(retryOnConnectionLoss: true) { c in
                try c.query(
                    """
                    SELECT ii.item_id, ii.uri, ii.file_size, ii.file_mtime, ii.etag, ii.last_modified, ii.content_sha256
                    FROM item_images ii JOIN items i ON i.id = ii.item_id
                    WHERE i.active AND NOT ii.needs_embedding AND ii.item_id > $1
                    ORDER BY ii.item_id LIMIT 1000
                    """, [.text(after)], prepare: true)
            }
            guard let last = rows.last else { break }
            after = try last.string("item_id")
            for row in rows {
                summary.scanned += 1
                let known = ImageValidators(
                    fileSize: try row.optionalInt("file_size"), fileModified: try row.optionalDate("file_mtime"),
                    etag: try row.optionalString("etag"), lastModified: try row.optionalString("last_modified"),
                    contentSHA256: try row.optionalBytes("content_sha256"))
                switch check(uri: try row.string("uri"), known: known) {
                case .unchanged: break
                case .touched(let validators):
                    summary.touched += 1
                    try update(item: try row.string("item_id"), validators: validators)
                case .changed:
                    summary.changed += 1
                    try queue(item: try row.string("item_id"))
                }
            }
        }
        summary.embedding = try job.run(kind: "nightly", progress: progress)
        return summary
    }

    enum Check: Equatable {
        case unchanged
        case touched(ImageValidators)
        case changed
    }

    /// Cheap check first; read and hash only when size/mtime (or the HTTP validators) moved.
    func check(uri: String, known: ImageValidators) -> Check {
        let isURL = uri.hasPrefix("http://") || uri.hasPrefix("https://")
        if !isURL {
            guard let info = ImageLoader.stat(uri) else { return .changed }  // gone: the job records the failure
            if info.size == known.fileSize, let m = known.fileModified, abs(m.timeIntervalSince(info.modified)) < 1e-5,
                known.contentSHA256 != nil
            {
                return .unchanged
            }
        }
        do {
            guard let image = try job.options.loader.load(uri, conditionalOn: isURL ? known : nil) else {
                return .unchanged
            }
            return image.sha256 == known.contentSHA256 ? .touched(image.validators) : .changed
        } catch {
            return .changed
        }
    }

    private func update(item: String, validators v: ImageValidators) throws {
        try job.database.withConnection(retryOnConnectionLoss: true) { c in
            try c.execute(
                """
                UPDATE item_images SET file_size = $2, file_mtime = $3, etag = $4, last_modified = $5, checked_at =
                now()
                WHERE item_id = $1
                """,
                [
                    .text(item), v.fileSize.map { .int64(Int64($0)) } ?? .null,
                    v.fileModified.map(PGValue.timestamp) ?? .null,
                    v.etag.map(PGValue.text) ?? .null, v.lastModified.map(PGValue.text) ?? .null,
                ], prepare: true)
        }
    }

    private func queue(item: String) throws {
        try job.database.withConnection(retryOnConnectionLoss: true) { c in
            try c.execute(
                "UPDATE item_images SET needs_embedding = true WHERE item_id = $1", [.text(item)], prepare: true)
        }
    }
}
