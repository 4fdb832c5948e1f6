/// A co-view neighbour of an item: its index, its score under the configured normalisation, and
/// the sessions that viewed both (the pair's support).
public struct CoViewNeighbour: Sendable, Equatable {
    // The Double first: 16 bytes a neighbour rather than 24 (the serving snapshot holds millions).
    public let score: Double
    public let item: Int32
    public let sessions: Int32

    public init(item: Int32, score: Double, sessions: Int32) {
        self.item = item
        self.score = score
        self.sessions = sessions
    }
}
