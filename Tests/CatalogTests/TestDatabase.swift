import Embedding
import Foundation
import Synchronization
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

    /// The databases the running test created (set by `.dropsDatabases`).
    @TaskLocal static var created: CreatedDatabases?

    /// Creates an empty database and returns its URL; it is dropped after the test.
    static func makeEmpty() throws -> String {
        let name = "reco_test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PGConnection(url: adminURL)
        try admin.execute("CREATE DATABASE \(name)")
        created?.names.withLock { $0.append(name) }
        return adminURL.replacingOccurrences(of: "/reco?", with: "/\(name)?")
    }

    final class CreatedDatabases: Sendable {
        let names = Mutex<[String]>([])

        /// Drops them, closing what is still connected (a service a failed test left running).
        func drop() throws {
            let admin = try PGConnection(url: TestDatabase.adminURL)
            for name in names.withLock({ $0 }) { try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        }
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

/// Drops the databases each test created when it ends, passed or failed.
struct DropsDatabases: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        guard testCase != nil else { return try await function() }  // the suite itself: nothing to drop
        let created = TestDatabase.CreatedDatabases()
        do {
            try await TestDatabase.$created.withValue(created) { try await function() }
        } catch {
            try? created.drop()
            throw error
        }
        try created.drop()
    }
}

extension Trait where Self == DropsDatabases {
    static var dropsDatabases: Self { DropsDatabases() }
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
