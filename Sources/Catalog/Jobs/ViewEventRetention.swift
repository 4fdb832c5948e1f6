import Foundation

public struct PruneSummary: Sendable, Equatable, Codable {
    public var partitions = 0
    public var events = 0
    public var cutoff = Date()
    public var json: String { JSON.encode(self) }
}

/// `reco events prune`: drops whole month partitions of `view_events` older than the retention
/// (no row-by-row delete, no vacuum debt), and old rows of the default partition. Co-view counts
/// already made from those events stay until the next rebuild, which counts what is left.
public struct ViewEventRetention: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public func prune(olderThan age: TimeInterval, now: Date = Date()) throws -> PruneSummary {
        let cutoff = now.addingTimeInterval(-age)
        return try JobRuns(database: database).record(kind: "events-prune", counts: \.json) {
            try database.withConnection { c in
                try c.transaction {
                    let row = try c.query(
                        "SELECT partitions, events FROM reco_prune_view_events($1)", [.timestamp(cutoff)])[0]
                    return PruneSummary(
                        partitions: try row.int("partitions"), events: try row.int("events"), cutoff: cutoff)
                }
            }
        }
    }

    /// `90d`, `12w`, `36h`: a retention as seconds.
    public static func parseAge(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let count = Double(text.dropLast()), count > 0 else { return nil }
        switch unit {
        case "h": return count * 3_600
        case "d": return count * 86_400
        case "w": return count * 7 * 86_400
        default: return nil
        }
    }
}
