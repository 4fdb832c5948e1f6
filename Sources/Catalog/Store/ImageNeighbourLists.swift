import Ranking

/// Reading a model's stored image-neighbour lists (`image_neighbours`) in the index space of
/// the caller's items.
enum ImageNeighbourLists {
    /// Per index of `index`, its list, best first; rows naming items outside `index` are skipped.
    /// COPY takes no parameters: the model goes through a temporary table (run in a transaction).
    static func read(_ c: PGConnection, model: String, index: [String: Int32]) throws -> [[ExactNeighbours.Neighbour]] {
        var lists = [[ExactNeighbours.Neighbour]](repeating: [], count: index.count)
        try c.execute("CREATE TEMP TABLE IF NOT EXISTS lists_model (model text) ON COMMIT DROP")
        try c.execute("DELETE FROM lists_model")
        try c.execute("INSERT INTO lists_model VALUES ($1)", [.text(model)])
        try c.copyOut("""
            SELECT item_id, neighbour_id, score FROM image_neighbours
            WHERE model = (SELECT model FROM lists_model) ORDER BY item_id, rank
            """, columns: [.text, .text, .float8]) { row in
            guard let a = index[try row.string("c0")], let b = index[try row.string("c1")] else { return }
            lists[Int(a)].append(.init(index: b, score: Float(try row.double("c2"))))
        }
        return lists
    }
}
