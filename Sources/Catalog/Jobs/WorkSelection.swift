import Foundation

/// Which items an embedding run covers.
public enum WorkSelection: Sendable, Equatable {
    /// The queue: images marked new or changed, and items with no vector for the model.
    case pending
    /// Only items with no vector for the model.
    case missing
    /// Every active item with an image (re-embeds all).
    case all
    case ids([String])
    case category(String)
    /// Items created or updated since the time.
    case since(Date)

    /// Whether the selected items are first marked as needing a (re-)embedding.
    var marksItems: Bool {
        switch self {
        case .pending, .missing: false
        case .all, .ids, .category, .since: true
        }
    }

    /// An SQL condition on `items i` and its parameters, numbered from `firstParameter`.
    func condition(firstParameter n: Int) -> (sql: String, params: [PGValue]) {
        switch self {
        case .pending, .all: ("TRUE", [])
        case .missing: ("NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_id = i.id AND e.model = $1)", [])
        case .ids(let ids): ("i.id = ANY(string_to_array($\(n), chr(31)))", [.text(ids.joined(separator: "\u{1F}"))])
        case .category(let c): ("i.category = $\(n)", [.text(c)])
        case .since(let date): ("i.updated_at >= $\(n)", [.timestamp(date)])
        }
    }
}
