import Compute
import Foundation
import Ranking

/// What changes when the data `/similar` serves changes: compared on every refresh, so the full
/// reload runs only when something was written.
public struct ServingVersion: Sendable, Equatable {
    public var model: String?
    /// Transactions that have written items (`item_writes`): moves with every committed write.
    public var itemWrites = 0
    /// When items were last written.
    public var itemsUpdated: Date?
    public var imageNeighboursBuilt: Date?
    public var coviewsBuilt: Date?

    /// When the newest of the parts was written.
    public var dataTime: Date? { [itemsUpdated, imageNeighboursBuilt, coviewsBuilt].compactMap { $0 }.max() }
}

/// Reads a `ServingCatalog` snapshot from PostgreSQL: items and image facts, the model's image
/// neighbours, co-view neighbours and evidence, each streamed with binary COPY.
public struct ServingCatalogLoader: Sendable {
    public let database: Database
    /// nil: the model of the most recent neighbour build.
    public let model: String?
    /// From this many vectors on, searches probe an inverted file instead of scanning them all.
    public var searchIndexAbove = 1_000_000
    /// Whether to load the vectors (only search by image needs them).
    public var withVectors = true

    /// For the frequent version check: short timeouts, so an unresponsive server is noticed fast.
    let versionDatabase: Database

    public init(database: Database, model: String? = nil) {
        self.database = database
        self.versionDatabase = database.with(timeouts: .interactive)
        self.model = model
    }

    public func version() throws -> ServingVersion {
        try versionDatabase.withConnection(retryOnConnectionLoss: true) { try version($0) }
    }

    /// The snapshot, with the version read in the same transaction (so it describes exactly it).
    /// Parts whose stamps match `previous` are shared with it, not read again: a refresh after
    /// co-views were updated reads only co-views, one after items changed reads only the items.
    /// The item set only grows (items are deactivated, never deleted), so an unchanged count
    /// means unchanged indices and the parts fit together.
    public func load(reusing previous: (catalog: ServingCatalog, version: ServingVersion)? = nil) throws -> Loaded {
        try database.withConnection(retryOnConnectionLoss: true) { c in
            try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            defer { _ = try? c.execute("ROLLBACK") }
            var partsRead: [(part: String, seconds: Double)] = []
            func timed<T>(_ part: String, _ read: () throws -> T) rethrows -> T {
                let start = ContinuousClock.now
                defer { partsRead.append((part, (ContinuousClock.now - start) / .seconds(1))) }
                return try read()
            }
            let version = try self.version(c)
            let sameModel = previous.flatMap { $0.version.model == version.model ? $0 : nil }
            let sameImages = sameModel?.version.imageNeighboursBuilt == version.imageNeighboursBuilt
            // An image change can change the items' image hashes, which live with the items.
            let items =
                if let sameModel, sameImages, sameModel.version.itemWrites == version.itemWrites {
                    sameModel.catalog.items
                } else {
                    try timed("items") { try readItems(c) }
                }
            // The same count is the same item set (only ever grown), so the same indices.
            let old = sameModel.flatMap { $0.catalog.items.count == items.count ? $0 : nil }
            let index = old?.catalog.itemIndex ?? ServingCatalog.index(items)
            let image: FlatLists<Neighbour>
            var vectors: SearchVectors?
            if let old, sameImages {
                (image, vectors) = (old.catalog.imageNeighbours, old.catalog.searchVectors)
            } else {
                func readImage() throws -> FlatLists<Neighbour> {
                    try timed("image_lists") {
                        try version.model.map { try ImageNeighbourLists.readFlat(c, model: $0, index: index) }
                            ?? FlatLists([], count: items.count)
                    }
                }
                if withVectors, let model = version.model {
                    // The vectors (and the search index built from them, on every core) on a second
                    // connection in this transaction's snapshot, while this one reads the lists: at 1 M
                    // items each takes 20-odd seconds, mostly in this process.
                    let snapshot = try exportedSnapshot(c)
                    (image, vectors) = try timed("vectors") {
                        try Parallel.both(readImage) { [self] in
                            try database.withConnection { c in
                                try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                                defer { _ = try? c.execute("ROLLBACK") }
                                try c.execute("SET TRANSACTION SNAPSHOT '\(snapshot)'")
                                return try readSearchVectors(c, model: model, index: index)
                            }
                        }
                    }
                } else {
                    image = try readImage()
                }
            }
            let (coview, evidence) =
                if let old, old.version.coviewsBuilt == version.coviewsBuilt {
                    (old.catalog.coviewNeighbours, old.catalog.evidence)
                } else {
                    try timed("coviews") { try readCoViews(c, index: index, count: items.count) }
                }
            let catalog = ServingCatalog(
                model: version.model, items: items, imageNeighbours: image, coviewNeighbours: coview,
                evidence: evidence, searchVectors: vectors, itemIndex: index)
            return Loaded(catalog: catalog, version: version, partsRead: partsRead)
        }
    }

    /// A snapshot, the version it describes, and the parts read for it (the others were shared
    /// with the previous snapshot) with the seconds each took.
    public struct Loaded: Sendable {
        public let catalog: ServingCatalog
        public let version: ServingVersion
        public let partsRead: [(part: String, seconds: Double)]
    }

    /// Items and their image facts, in id order (the order that gives them their indices).
    private func readItems(_ c: PGConnection) throws -> [ServingCatalog.Item] {
        var items: [ServingCatalog.Item] = []
        try c.copyOut(
            """
            SELECT i.id, i.title, i.category, i.active, i.in_stock, i.image_uri, im.content_sha256
            FROM items i LEFT JOIN item_images im ON im.item_id = i.id ORDER BY i.id
            """, columns: [.text, .text, .text, .bool, .bool, .text, .bytea]
        ) { row in
            items.append(
                ServingCatalog.Item(
                    id: try row.string(0), title: try row.string(1), imageURI: try row.optionalString(5),
                    facts: ItemFacts(
                        category: try row.string(2), active: try row.bool(3), inStock: try row.bool(4),
                        imageHash: try row.optionalBytes(6))))
        }
        return items
    }

    /// Co-view lists (arriving in item-id order, straight into flat arrays) and per-item evidence.
    private func readCoViews(_ c: PGConnection, index: [String: Int32], count: Int) throws -> (
        FlatLists<CoViewNeighbour>, [Int32]
    ) {
        var coview = FlatLists<CoViewNeighbour>.Builder()
        try c.copyOut(
            """
            SELECT a.item_id, b.item_id, n.score, n.sessions FROM coview_neighbours n
            JOIN item_keys a ON a.key = n.item JOIN item_keys b ON b.key = n.neighbour ORDER BY a.item_id, n.rank
            """, columns: [.text, .text, .float8, .int4]
        ) { row in
            guard let a = index[try row.string(0)], let b = index[try row.string(1)] else { return }
            let neighbour = CoViewNeighbour(item: b, score: try row.double(2), sessions: Int32(try row.int(3)))
            guard coview.append(neighbour, to: Int(a)) else {
                throw PostgresError(.decoding, "co-view lists not in item order")
            }
        }
        var evidence = [Int32](repeating: 0, count: count)
        try c.copyOut(
            "SELECT k.item_id, i.sessions FROM coview_items i JOIN item_keys k ON k.key = i.item",
            columns: [.text, .int4]
        ) { row in
            if let a = index[try row.string(0)] { evidence[Int(a)] = Int32(try row.int(1)) }
        }
        return (coview.finish(count: count), evidence)
    }

    /// The model's vectors quantised as they stream in (the float32 ones are never all held);
    /// nil when there are none.
    private func readSearchVectors(_ c: PGConnection, model: String, index: [String: Int32]) throws -> SearchVectors? {
        // The rows `StoredVectors.read` streams, counted first so their codes are allocated once.
        let expected = try c.query(
            """
            SELECT count(*) AS n FROM embeddings e JOIN items i ON i.id = e.item_id WHERE i.active AND e.model = $1
            """, [.text(model)], prepare: true)[0].int("n")
        var builder: SearchVectors.Builder?
        try StoredVectors.read(c, model: model) { id, vector, _ in
            guard let item = index[id] else { return }
            if builder == nil { builder = SearchVectors.Builder(dims: vector.count, reservingRows: expected) }
            builder?.append(item: item, vector: vector)
        }
        return builder?.finish(indexAbove: searchIndexAbove)
    }

    /// The transaction's snapshot, exported for another connection to read in (its identifier is
    /// checked to be PostgreSQL's hex-and-dash form, as it goes into a SET that takes no parameters).
    private func exportedSnapshot(_ c: PGConnection) throws -> String {
        let id = try c.query("SELECT pg_export_snapshot() AS id")[0].string("id")
        guard !id.isEmpty, id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw PostgresError(.decoding, "unexpected snapshot identifier '\(id)'")
        }
        return id
    }

    private func version(_ c: PGConnection) throws -> ServingVersion {
        let model = try self.model ?? newestModel(c)
        let row = try c.query(
            """
            SELECT f.writes + (SELECT count(*) FROM item_writes) AS item_writes,
                   greatest(f.last_at, (SELECT max(at) FROM item_writes)) AS updated,
                   (SELECT built_at FROM image_neighbour_builds WHERE model = $1) AS image_built,
                   (SELECT updated_at FROM coview_builds) AS coviews_built
            FROM item_writes_folded f
            """, [model.map(PGValue.text) ?? .null], prepare: true)[0]
        return ServingVersion(
            model: model, itemWrites: try row.int("item_writes"), itemsUpdated: try row.optionalDate("updated"),
            imageNeighboursBuilt: try row.optionalDate("image_built"),
            coviewsBuilt: try row.optionalDate("coviews_built"))
    }

    private func newestModel(_ c: PGConnection) throws -> String? {
        try c.query("SELECT model FROM image_neighbour_builds ORDER BY built_at DESC LIMIT 1", prepare: true).first?
            .string("model")
    }
}
