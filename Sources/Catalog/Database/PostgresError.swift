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

    public var description: String {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return sqlState.map { "PostgreSQL error \($0): \(text)" } ?? "PostgreSQL: \(text)"
    }

    /// Class 08 (connection exception) or 57P0x (server shutting down): the connection is gone.
    public var isConnectionLoss: Bool {
        kind == .connection || sqlState?.hasPrefix("08") == true || sqlState?.hasPrefix("57P0") == true
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
}

import Foundation
