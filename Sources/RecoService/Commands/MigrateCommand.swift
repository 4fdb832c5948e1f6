import ArgumentParser
import Catalog
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the migrations built into reco (the project's Migrations/) that the database lacks."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Folder of migrations to apply instead of those built into reco (default: RECO_MIGRATIONS_DIR).")
    var migrationsDir: String?

    func run() throws {
        try reportingErrors("migrate") {
            let dir =
                migrationsDir
                ?? ProcessInfo.processInfo.environment["RECO_MIGRATIONS_DIR"].flatMap {
                    $0.isEmpty ? nil : $0
                }
            let migrator = try dir.map { try Migrator(directory: URL(fileURLWithPath: $0)) } ?? Migrator.embedded()
            let applied = try database.makeDatabase().withConnection { try migrator.apply(to: $0) }
            for m in applied { Console.out("applied \(String(format: "%04d", m.version))_\(m.name)") }
            Console.out(
                "database is at migration \(migrator.migrations.last?.version ?? 0) (\(applied.count) applied now)")
        }
    }
}
