import Foundation

/// Turns a stream of view events ordered by session into counted sessions.
public struct SessionGrouper {
    public private(set) var counts: CoViewCounts
    private var current: String?
    private var items = Set<CoViewCounts.Item>()
    private var last = Date.distantPast

    public init(counts: CoViewCounts) { self.counts = counts }

    /// Events must arrive grouped by session (e.g. ORDER BY session_id).
    public mutating func add(session: String, item: CoViewCounts.Item, at time: Date) {
        if session != current { flush() }
        current = session
        items.insert(item)
        last = max(last, time)
    }

    /// Counts the session in progress; call once after the last event.
    public mutating func flush() {
        if current != nil { counts.add(session: items, lastViewedAt: last) }
        current = nil
        items.removeAll(keepingCapacity: true)
        last = .distantPast
    }
}
