import Compute
import Ranking

/// The exact re-rank of a search: the snapshot holds int8 codes only, so the candidates' float32
/// vectors are read from PostgreSQL by key (a few dozen rows of the primary-key index).
public struct StoredVectorScores: Sendable {
    let database: Database

    /// Searches have a client waiting: interactive timeouts.
    public init(database: Database) {
        self.database = database.with(timeouts: .interactive)
    }

    /// Cosines of `query` (unit length) with the stored `model` vectors of `ids`; an id without a
    /// vector (deleted since the snapshot) is absent.
    public func cosines(_ query: [Float], model: String, ids: [String]) throws -> [String: Float] {
        let rows = try database.withConnection {
            try $0.query(
                "SELECT item_id, vector FROM embeddings WHERE model = $1 AND item_id = ANY($2)",
                [.text(model), .textArray(ids)], prepare: true)
        }
        var cosines: [String: Float] = [:]
        for row in rows {
            let vector = try VectorCodec.decode(try row.bytes("vector"))
            guard vector.count == query.count else { continue }
            cosines[try row.string("item_id")] = BLAS.dot(vector[...], query[...])
        }
        return cosines
    }

    /// `cosines` as a search's `ExactScores` over `catalog`'s items: nil when PostgreSQL cannot
    /// answer (the int8 scores then stand), after telling `failed` why.
    public func exactScores(
        _ query: [Float], catalog: ServingCatalog, failed: @escaping @Sendable (any Error) -> Void
    ) -> ExactScores {
        { [self] items in
            guard let model = catalog.model else { return nil }
            do {
                let cosines = try self.cosines(query, model: model, ids: items.map { catalog.item($0).id })
                var scores: [Int32: Float] = [:]
                for item in items { scores[item] = cosines[catalog.item(item).id] }
                return scores
            } catch {
                failed(error)
                return nil
            }
        }
    }
}
