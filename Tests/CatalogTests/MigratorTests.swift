import Foundation
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct MigratorTests {
    @Test func projectMigrationsApplyOnceAndAreRecorded() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
        let first = try migrator.apply(to: c)
        #expect(first.map(\.version) == migrator.migrations.map(\.version))
        #expect(try migrator.apply(to: c).isEmpty)
        let recorded = try c.query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        #expect(try recorded.map { try $0.int("version") } == migrator.migrations.map(\.version))
        #expect(try recorded.map { try $0.string("checksum") } == migrator.migrations.map(\.checksum))
        for table in ["items", "item_images", "embeddings", "view_events", "job_runs", "embedding_failures"] {
            #expect(
                try c.query("SELECT to_regclass($1)::text AS t", [.text(table)]).first?.optionalString("t") == table)
        }
    }

    @Test func anEditedMigrationIsRefused() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        let original = Migrator.Migration(version: 1, name: "one", sql: "CREATE TABLE a (x int);")
        try Migrator(migrations: [original]).apply(to: c)
        let edited = Migrator.Migration(version: 1, name: "one", sql: "CREATE TABLE a (x bigint);")
        #expect(
            throws: Migrator.Failure.edited(version: 1, name: "one", applied: original.checksum, now: edited.checksum)
        ) {
            try Migrator(migrations: [edited]).apply(to: c)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        let good = Migrator.Migration(version: 1, name: "one", sql: "CREATE TABLE a (x int);")
        let bad = Migrator.Migration(version: 2, name: "two", sql: "CREATE TABLE b (x int); CREATE TABLE a (y int);")
        #expect(throws: PostgresError.self) { try Migrator(migrations: [good, bad]).apply(to: c) }
        #expect(try c.query("SELECT version FROM schema_migrations").map { try $0.int("version") } == [1])
        #expect(try c.query("SELECT to_regclass('b')::text AS t").first?.optionalString("t") == nil)
    }

    @Test func unknownAppliedMigrationIsRefused() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try Migrator(migrations: [
            .init(version: 1, name: "one", sql: "SELECT 1;"), .init(version: 2, name: "two", sql: "SELECT 2;"),
        ]).apply(to: c)
        #expect(throws: Migrator.Failure.unknownApplied(version: 2, name: "two")) {
            try Migrator(migrations: [.init(version: 1, name: "one", sql: "SELECT 1;")]).apply(to: c)
        }
    }
}

/// The migrations compiled into the binary are the project's files, byte for byte (so their
/// checksums match what databases recorded), with no database needed.
@Suite struct EmbeddedMigrationTests {
    @Test func theEmbeddedMigrationsAreTheFilesOfMigrations() throws {
        let embedded = try Migrator.embedded().migrations
        let files = try Migrator(directory: TestDatabase.migrationsDirectory).migrations
        #expect(embedded.count == files.count && !files.isEmpty)
        #expect(embedded == files)
        #expect(embedded.map(\.checksum) == files.map(\.checksum))
    }
}
