import Catalog
import Foundation
import Ranking
import Synchronization

/// The snapshot the service answers from, swapped whole when a refresh loads a new one, and
/// whether the database answered the last time it was asked.
final class ServingState: Sendable {
    struct Snapshot: Sendable {
        let catalog: ServingCatalog
        let version: ServingVersion
        let loadedAt: Date
        /// Each item's id as a JSON string literal, escaped once per load rather than per answer.
        let jsonIDs: [String]
        /// The model identifier as JSON (a string literal, or null).
        let jsonModel: String

        /// `previous`'s ids are kept when it has as many items: the item set only grows, so the
        /// same count is the same ids in the same order.
        init(catalog: ServingCatalog, version: ServingVersion, loadedAt: Date, previous: Snapshot? = nil) {
            self.catalog = catalog
            self.version = version
            self.loadedAt = loadedAt
            self.jsonIDs =
                previous.flatMap { $0.jsonIDs.count == catalog.items.count ? $0.jsonIDs : nil }
                ?? catalog.items.map { JSON.string($0.id) }
            jsonModel = catalog.model.map(JSON.string) ?? "null"
        }
    }

    private let current = Mutex<Snapshot?>(nil)
    /// nil until first asked.
    private let databaseReachable = Mutex<Bool?>(nil)

    var snapshot: Snapshot? { current.withLock { $0 } }
    var databaseUp: Bool { databaseReachable.withLock { $0 } ?? false }

    func install(_ snapshot: Snapshot) { current.withLock { $0 = snapshot } }

    /// Returns whether this changed the recorded state (to log transitions once).
    @discardableResult
    func setDatabaseUp(_ up: Bool) -> Bool {
        databaseReachable.withLock { old in
            defer { old = up }
            return old != up
        }
    }
}
