import Foundation
import Ranking

/// Reading a model's stored vectors and lists with binary COPY. COPY takes no parameters, so the
/// model goes through a temporary table rather than being spliced into the SQL.
enum StoredVectors {
    /// Makes `(SELECT model FROM query_model)` name `model` for the rest of the transaction.
    static func setModel(_ c: PGConnection, _ model: String) throws {
        try c.execute("CREATE TEMP TABLE IF NOT EXISTS query_model (model text) ON COMMIT DROP")
        try c.execute("DELETE FROM query_model")
        try c.execute("INSERT INTO query_model VALUES ($1)", [.text(model)])
    }

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
            WHERE i.active AND e.model = (SELECT model FROM query_model) ORDER BY e.item_id
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
