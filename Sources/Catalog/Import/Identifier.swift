import Foundation

/// The rules every item and session id obeys, at import and at the ingest door alike. Ids are
/// never trimmed: `p001 ` and `p001` would otherwise become one item.
public enum Identifier {
    /// Ids are primary and index keys; PostgreSQL's B-tree refuses rows over ~2.7 kB.
    public static let maxBytes = 256

    /// Why `text` cannot be an id, or nil when it can.
    public static func problem(_ text: String) -> String? {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return "is empty" }
        if text.utf8.count > maxBytes { return "is longer than \(maxBytes) bytes" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "contains a control character"
        }
        if first.properties.isWhitespace || last.properties.isWhitespace {
            return "has leading or trailing white space"
        }
        return nil
    }

    /// The field `name` of `fields` as an id.
    static func field(_ name: String, of fields: [String: FieldValue], line: Int) throws(RowError) -> String {
        guard let text = fields[name]?.text else { throw RowError(line: line, "\(name) is missing") }
        if let problem = problem(text) { throw RowError(line: line, "\(name) \(problem)") }
        return text
    }
}

/// When a view may have happened: not before 2000, and not more than a day ahead of the clock
/// (clocks drift; a view from the far future would outweigh every other session in the decay).
public enum ViewTimeWindow {
    public static let earliest = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01T00:00:00Z
    public static let aheadAllowed: TimeInterval = 86_400

    public static func problem(_ date: Date, now: Date = Date()) -> String? {
        if date < earliest { return "is before 2000-01-01" }
        if date > now.addingTimeInterval(aheadAllowed) { return "is more than a day in the future" }
        return nil
    }
}
