import Foundation
import Ranking

/// Reading a model's stored vectors and lists with binary COPY. COPY takes no parameters, so the
/// model goes through a transaction-local setting rather than being spliced into the SQL (not a
/// temporary table: a hot standby, which snapshots may load from, refuses to create one).
enum StoredVectors {
    /// Makes `StoredVectors.modelSQL` name `model` in SQL for the rest of the transaction.
    static func setModel(_ c: PGConnection, _ model: String) throws {
        _ = try c.query("SELECT set_config('reco.query_model', $1, true)", [.text(model)])
    }

    /// The model set by `setModel`, as SQL.
    static let modelSQL = "current_setting('reco.query_model')"

    /// Every active item's vector for the model, in item id order, checked to be of one length.
    /// Run in a transaction.
    static func read(
        _ c: PGConnection, model: String, _ body: (_ item: String, _ vector: [Float], _ written: Date) throws -> Void
    ) throws {
        try setModel(c, model)
        var dims = 0
        try c.copyOut(
            """
            SELECT e.item_id, e.vector, e.created_at FROM embeddings e JOIN items i ON i.id = e.item_id
            WHERE i.active AND e.model = \(modelSQL) ORDER BY e.item_id
            """, columns: [.text, .bytea, .timestamptz]
        ) { row in
            let vector = try VectorCodec.decode(row.bytes(1))
            if dims == 0 { dims = vector.count }
            guard vector.count == dims else {
                throw PostgresError(.decoding, "vector of \(vector.count) floats among \(dims)-d ones")
            }
            try body(try row.string(0), vector, try row.date(2))
        }
    }
}
