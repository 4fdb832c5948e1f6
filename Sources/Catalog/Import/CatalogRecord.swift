import Foundation

/// One catalog row, validated: `id` required; `title`, `category`, `image`, `in_stock` defaulted;
/// every other column goes into `attributes` (a JSON object).
public struct CatalogRecord: Sendable, Equatable {
    public static let knownColumns: Set<String> = ["id", "title", "category", "image", "in_stock"]
    /// Longest accepted fields: the category is an index key (PostgreSQL's B-tree refuses rows over
    /// ~2.7 kB), and nothing sane is longer than these.
    static let maxBytes = [("title", 4096), ("category", 256), ("image", 4096)]
    static let maxAttributeBytes = 65_536

    public let id: String
    public let title: String
    public let category: String
    /// An absolute local path or an http(s) URL.
    public let image: String?
    public let inStock: Bool
    /// JSON object text.
    public let attributes: String

    public init(
        id: String, title: String = "", category: String = "", image: String? = nil, inStock: Bool = true,
        attributes: String = "{}"
    ) {
        self.id = id
        self.title = title
        self.category = category
        self.image = image
        self.inStock = inStock
        self.attributes = attributes
    }

    /// Validates a row; relative image paths are resolved against `baseDirectory` (the input file's).
    public init(fields: [String: FieldValue], line: Int, baseDirectory: URL, imageRoot: ImageRoot? = nil)
        throws(RowError)
    {
        let id = try Identifier.field("id", of: fields, line: line)
        for (name, limit) in Self.maxBytes {
            if let value = fields[name], value.jsonText.utf8.count > limit {
                throw RowError(line: line, "\(name) is longer than \(limit) bytes")
            }
        }
        var inStock = true
        switch fields["in_stock"] {
        case nil, .null?: break
        case .bool(let b)?: inStock = b
        case let value?:
            switch value.trimmedText?.lowercased() {
            case "", "1", "true", "t", "yes", "y": inStock = true
            case "0", "false", "f", "no", "n": inStock = false
            default:
                throw RowError(
                    line: line, "in_stock must be true/false/1/0/yes/no, not \(value.text ?? value.jsonText)")
            }
        }
        var image: String?
        if let raw = fields["image"]?.trimmedText, !raw.isEmpty {
            if raw.hasPrefix("http://") || raw.hasPrefix("https://") {
                guard URL(string: raw)?.host != nil else { throw RowError(line: line, "image URL \(raw) is not valid") }
                image = raw
            } else if raw.contains("://") {
                throw RowError(line: line, "image \(raw): only local paths and http(s) URLs are supported")
            } else {
                let path = URL(fileURLWithPath: raw, relativeTo: baseDirectory).standardizedFileURL.path
                if let imageRoot, !imageRoot.admits(path) {
                    throw RowError(line: line, "image \(raw) is outside the image root \(imageRoot.path)")
                }
                image = path
            }
        }
        let extra = fields.keys.filter { !Self.knownColumns.contains($0) }.sorted()
        let attributes =
            "{" + extra.map { JSON.string($0) + ":" + fields[$0]!.jsonText }.joined(separator: ",") + "}"
        guard attributes.utf8.count <= Self.maxAttributeBytes else {
            throw RowError(line: line, "the extra columns are longer than \(Self.maxAttributeBytes) bytes together")
        }
        self.init(
            id: id, title: fields["title"]?.text ?? "", category: fields["category"]?.text ?? "",
            image: image, inStock: inStock, attributes: attributes)
    }
}

/// One view event: a session looked at an item at a time.
public struct ViewEvent: Sendable, Equatable {
    public let sessionID: String
    public let itemID: String
    public let viewedAt: Date

    public init(sessionID: String, itemID: String, viewedAt: Date) {
        self.sessionID = sessionID
        self.itemID = itemID
        self.viewedAt = viewedAt
    }

    /// Validates a row: ids as `Identifier` says, the time ISO-8601 within `ViewTimeWindow`.
    public init(fields: [String: FieldValue], line: Int, now: Date = Date()) throws(RowError) {
        let session = try Identifier.field("session_id", of: fields, line: line)
        let item = try Identifier.field("item_id", of: fields, line: line)
        guard let raw = fields["viewed_at"]?.trimmedText, let date = ISO8601.parse(raw) else {
            let given = fields["viewed_at"]?.text.map { String($0.prefix(40)) } ?? "nothing"
            throw RowError(line: line, "viewed_at must be an ISO-8601 time such as 2026-11-29T10:15:00Z, not \(given)")
        }
        if let problem = ViewTimeWindow.problem(date, now: now) { throw RowError(line: line, "viewed_at \(problem)") }
        self.init(sessionID: session, itemID: item, viewedAt: date)
    }
}

/// ISO-8601 timestamps, with or without fractional seconds; a time zone is required.
public enum ISO8601 {
    public static func parse(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension ViewEvent {
    /// Events as a CSV in the format `reco import views` reads.
    public static func writeCSV(_ events: [ViewEvent], to url: URL) throws {
        try CSVFile.write(
            to: url, header: ["session_id", "item_id", "viewed_at"],
            rows: events.map {
                [$0.sessionID, $0.itemID, ISO8601.format($0.viewedAt)]
            })
    }
}

extension ViewEvent {
    /// A JSON array of `{session_id, item_id, viewed_at}` objects (the ingest endpoint's body).
    /// All or nothing: the first bad element is reported by its position (1-based).
    public static func parseBatch(_ data: Data) throws(RowError) -> [ViewEvent] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw RowError(line: 0, "the body is not valid JSON")
        }
        guard case .array(let elements) = value else {
            throw RowError(line: 0, "the body must be a JSON array of view events")
        }
        return try elements.enumerated().map { (i, element) throws(RowError) in
            guard let fields = element.objectFields else { throw RowError(line: i + 1, "not a JSON object") }
            // Over HTTP the types are the contract: `"item_id": false` is a client bug, not an id.
            for name in ["session_id", "item_id", "viewed_at"] {
                guard case .text? = fields[name] else { throw RowError(line: i + 1, "\(name) must be a JSON string") }
            }
            return try ViewEvent(fields: fields, line: i + 1)
        }
    }
}
