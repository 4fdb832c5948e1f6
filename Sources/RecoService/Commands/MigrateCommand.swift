import ArgumentParser
import Catalog
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the numbered SQL files in Migrations/ that the database does not have yet."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Folder of migrations (default: RECO_MIGRATIONS_DIR, else the project's Migrations/).")
    var migrationsDir: String?

    func run() throws {
        try reportingErrors("migrate") {
            let dir = migrationsDir.map { URL(fileURLWithPath: $0) } ?? Migrator.locateDirectory()
            let migrator = try Migrator(directory: dir)
            let applied = try database.makeDatabase().withConnection { try migrator.apply(to: $0) }
            for m in applied { Console.out("applied \(String(format: "%04d", m.version))_\(m.name)") }
            Console.out(
                "database is at migration \(migrator.migrations.last?.version ?? 0) (\(applied.count) applied now)")
        }
    }
}
