import ArgumentParser
import Catalog
import Foundation

/// Where the catalog lives: `--database-url`, else `DATABASE_URL`, else the local cluster (ops/pg).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (default: DATABASE_URL, else the local cluster under .data/pg started by ops/pg).")
    var databaseURL: String?

    func makeDatabase() -> Database { Database(url: databaseURL ?? Database.defaultURL()) }
}

/// Turns any error into one clear line on standard error and exit code 1.
func reportingErrors<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        Console.err("reco \(command): \(error)")
        throw ExitCode.failure
    }
}
