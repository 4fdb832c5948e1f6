/// A neighbour of an item or a query: its index (an item, or a row of a vector matrix) and cosine.
public struct Neighbour: Sendable, Equatable {
    public let index: Int32
    public let score: Float

    public init(index: Int32, score: Float) {
        self.index = index
        self.score = score
    }
}
