import Foundation

/// A PostgreSQL failure, with the server's SQLSTATE when there is one.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Could not connect, or the connection broke: retry later or elsewhere.
        case connection
        /// The server refused the statement (see `sqlState`).
        case query
        /// A value in a result could not be read as the asked type.
        case decoding
    }

    public let kind: Kind
    public let sqlState: String?
    public let message: String

    public init(_ kind: Kind, sqlState: String? = nil, _ message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
    }

    /// One line: libpq's multi-line messages (DETAIL, HINT…) are joined with " — ".
    public var description: String {
        let text = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " — ")
        return sqlState.map { "PostgreSQL error \($0): \(text)" } ?? "PostgreSQL: \(text)"
    }

    /// Class 08 (connection exception) or 57P0x (server shutting down): the connection is gone.
    public var isConnectionLoss: Bool {
        kind == .connection || sqlState?.hasPrefix("08") == true || sqlState?.hasPrefix("57P0") == true
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Refused because of the values sent (class 22 data exception, 23 integrity constraint, 54
    /// program limit such as an index row too large): sending the same again fails again.
    public var isCausedByData: Bool {
        guard kind == .query, let state = sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54")
    }

    /// The server's message without its DETAIL, HINT and CONTEXT lines (for logs: one line per error).
    public var firstLine: String {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return String(text.split(separator: "\n", maxSplits: 1).first ?? "")
    }
}
