import Foundation
import Testing
@testable import Catalog

/// A fresh, migrated database per test, on the throwaway PostgreSQL cluster that ops/test starts
/// (RECO_TEST_DATABASE_URL). Run the suite through ops/test.
enum TestDatabase {
    static var adminURL: String {
        guard let url = ProcessInfo.processInfo.environment["RECO_TEST_DATABASE_URL"], !url.isEmpty else {
            fatalError("RECO_TEST_DATABASE_URL is not set: run the tests with ops/test, which starts a PostgreSQL cluster")
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
