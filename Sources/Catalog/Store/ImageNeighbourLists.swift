import Ranking

/// Reading a model's stored image-neighbour lists (`image_neighbours`) in the index space of
/// the caller's items.
public enum ImageNeighbourLists {
    /// Per index of `index`, its list, best first; rows naming items outside `index` are skipped.
    /// Run in a transaction.
    public static func read(_ c: PGConnection, model: String, index: [String: Int32]) throws -> [[Neighbour]] {
        var lists = [[Neighbour]](repeating: [], count: index.count)
        try forEach(c, model: model, index: index, ordered: false) { item, list in lists[Int(item)] = list }
        return lists
    }

    /// The same lists, flat: read in item-id order (the order of a snapshot's items), so each list
    /// goes straight into place.
    public static func readFlat(_ c: PGConnection, model: String, index: [String: Int32]) throws
        -> FlatLists<Neighbour>
    {
        var lists = FlatLists<Neighbour>.Builder()
        try forEach(c, model: model, index: index, ordered: true) { item, list in
            for n in list where !lists.append(n, to: Int(item)) {
                throw PostgresError(.decoding, "image neighbour lists not in item order")
            }
        }
        return lists.finish(count: index.count)
    }

    private static func forEach(
        _ c: PGConnection, model: String, index: [String: Int32], ordered: Bool,
        _ body: (Int32, [Neighbour]) throws -> Void
    ) throws {
        try StoredVectors.setModel(c, model)
        try c.copyOut(
            "SELECT item_id, neighbour_ids, scores FROM image_neighbours WHERE model = \(StoredVectors.modelSQL)"
                + (ordered ? " ORDER BY item_id" : ""),
            columns: [.text, .textArray, .bytea]
        ) { row in
            guard let a = index[try row.string(0)] else { return }
            let scores = try VectorCodec.decode(row.bytes(2))
            let ids = try row.strings(1)
            guard scores.count == ids.count else {
                throw PostgresError(.decoding, "neighbour list of \(ids.count) ids and \(scores.count) scores")
            }
            var list: [Neighbour] = []
            list.reserveCapacity(ids.count)
            for (id, score) in zip(ids, scores) {
                if let b = index[id] { list.append(.init(index: b, score: score)) }
            }
            try body(a, list)
        }
    }
}
