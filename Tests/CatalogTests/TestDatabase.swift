import Embedding
import Foundation
import Testing

@testable import Catalog

/// A fresh, migrated database per test, on the throwaway PostgreSQL cluster that ops/test starts
/// (RECO_TEST_DATABASE_URL). Run the suite through ops/test.
enum TestDatabase {
    /// Whether a test cluster is configured; suites that need it are skipped without one.
    static var isConfigured: Bool { !(ProcessInfo.processInfo.environment["RECO_TEST_DATABASE_URL"] ?? "").isEmpty }

    static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["RECO_TEST_DATABASE_URL"], !url.isEmpty else {
            fatalError(
                "RECO_TEST_DATABASE_URL is not set: run the tests with ops/test, which starts a PostgreSQL cluster")
        }
        return url
    }

    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Migrations")

    /// Creates an empty database and returns its URL.
    static func makeEmpty() throws -> String {
        let name = "reco_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PGConnection(url: adminURL)
        try admin.execute("CREATE DATABASE \(name)")
        return adminURL.replacingOccurrences(of: "/reco?", with: "/\(name)?")
    }

    static func makeMigrated() throws -> Database {
        let url = try makeEmpty()
        try Migrator(directory: migrationsDirectory).apply(to: PGConnection(url: url))
        return Database(url: url)
    }
}

/// A catalog on disk for job tests: `count` items whose images are copies of the project's
/// fixture photos, in a fresh folder, plus a CSV listing them.
struct TestCatalog {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let photos = [
        "chelsea_cat.jpg", "coffee_cup.jpg", "rocket.jpg", "astronaut.jpg", "chelsea.png", "coffee.png",
    ]
    .map { projectRoot.appendingPathComponent("Tests/EmbeddingTests/Fixtures/\($0)") }
    static let embedder: Embedder = Embedder(
        network: try! ModelStore(directory: projectRoot.appendingPathComponent("models")).load())

    let directory: URL
    let ids: [String]

    init(count: Int, extraRows: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "reco-catalog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("img"), withIntermediateDirectories: true)
        var csv = "id,title,category,image,in_stock\n"
        var ids: [String] = []
        for i in 0..<count {
            let photo = Self.photos[i % Self.photos.count]
            let name = String(format: "item%03d.", i) + photo.pathExtension
            try FileManager.default.copyItem(at: photo, to: directory.appendingPathComponent("img/\(name)"))
            let id = String(format: "item%03d", i)
            ids.append(id)
            csv += "\(id),Item \(i),\(["cats", "cups", "space"][i % 3]),img/\(name),true\n"
        }
        csv += extraRows
        self.ids = ids
        try csv.write(to: csvURL, atomically: true, encoding: .utf8)
    }

    var csvURL: URL { directory.appendingPathComponent("catalog.csv") }

    func imagePath(_ id: String) throws -> String {
        let dir = directory.appendingPathComponent("img")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix(id + ".") })
        return dir.appendingPathComponent(name).path
    }
}

extension Trait where Self == ConditionTrait {
    /// Every suite of this target talks to PostgreSQL: `swift test` alone skips them with this
    /// message, and ops/test (which starts a cluster) runs them.
    static var needsDatabase: Self {
        .enabled(
            if: TestDatabase.isConfigured, "RECO_TEST_DATABASE_URL is not set: ops/test starts a PostgreSQL cluster")
    }
}

/// Writes `bytes` to a file named `name` in a fresh temporary folder; returns its path.
func temporaryFile(_ bytes: Data, named name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reco-file-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try bytes.write(to: url)
    return url.path
}

func vectors(_ db: Database, model: String) throws -> [String: [Float]] {
    try db.withConnection { c in
        Dictionary(
            uniqueKeysWithValues: try c.query("SELECT item_id, vector FROM embeddings WHERE model = $1", [.text(model)])
                .map {
                    (try $0.string("item_id"), try VectorCodec.decode($0.bytes("vector")))
                })
    }
}
