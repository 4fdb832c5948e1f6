import Compute
import Embedding
import Foundation
import Ranking

/// Search by image from the command line (`reco search`): the photo is embedded with the same
/// model and preprocessing as the catalog, then ranked by cosine against the current vectors of
/// active items for that model identifier (never another model's).
public struct ImageSearch: Sendable {
    public let database: Database
    public let embedder: Embedder

    public init(database: Database, embedder: Embedder) {
        self.database = database
        self.embedder = embedder
    }

    public struct Result: Sendable, Equatable {
        public let itemID: String
        public let score: Float
    }

    public func search(_ image: Data, limit: Int) throws -> [Result] {
        let query = try embedder.embed(image, threads: ForkJoin.shared.width).vector
        let loaded = try NeighbourBuild(database: database, model: embedder.modelIdentifier).loadVectors()
        guard !loaded.ids.isEmpty else { return [] }
        return VectorSearch.top(query, in: loaded.matrix, k: limit).map {
            Result(itemID: loaded.ids[Int($0.index)], score: $0.score)
        }
    }
}
