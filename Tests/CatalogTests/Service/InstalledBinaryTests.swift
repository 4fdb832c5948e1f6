import Foundation
import Testing

@testable import Catalog

/// `reco` as ops/install lays it out (PREFIX/bin/reco, PREFIX/share/reco/models), run from a folder
/// that is not the project: migrations and templates come from the binary, the model from the
/// prefix. ops/test installs the debug build into a temporary prefix (RECO_TEST_INSTALL_PREFIX).
@Suite(
    .needsDatabase, .dropsDatabases,
    .enabled(
        if: InstalledReco.prefix != nil,
        "RECO_TEST_INSTALL_PREFIX is not set: ops/test installs reco into a temporary prefix"))
struct InstalledBinaryTests {
    static var prefix: URL? { InstalledReco.prefix }

    /// Runs the installed reco in a folder of its own with nothing pointing at the project; returns
    /// its exit status and output.
    static func run(_ arguments: [String], adding extra: [String: String] = [:]) async throws -> (
        status: Int32, output: String
    ) {
        try await ToolProcess.run(
            try #require(prefix).appendingPathComponent("bin/reco").path, arguments,
            environment: environment.merging(extra) { $1 })
    }

    @Test func recoIsaAndPrecisionChooseTheKernelsAndAnUnknownPathIsRefused() async throws {
        let portable = try await Self.run(["model"], adding: ["RECO_ISA": "portable"])
        #expect(portable.status == 0)
        #expect(portable.output.contains("kernels     portable"), "\(portable.output)")
        let chosen = try await Self.run(["model"], adding: ["RECO_ISA": ""])
        #expect(chosen.status == 0 && chosen.output.contains("kernels     "), "\(chosen.output)")
        // The int8 variant loads from the installed folder (its calibration is installed with it).
        let int8 = try await Self.run(["model", "--precision", "int8"], adding: ["RECO_ISA": "portable"])
        #expect(int8.status == 0)
        #expect(int8.output.contains("identifier  efficientnet-lite0/57934424/squash224/int8"), "\(int8.output)")
        #expect(int8.output.contains("precision   int8, int8 kernel portable"), "\(int8.output)")
        let unknown = try await Self.run(["model"], adding: ["RECO_ISA": "sse9"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("RECO_ISA=sse9 is not a kernel path"), "\(unknown.output)")
    }

    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter {
            !["RECO_MODEL_DIR", "RECO_MIGRATIONS_DIR", "DATABASE_URL", "RECO_DEMO_PHOTOS"].contains($0.key)
        }
    }

    @Test func migrateImportBackfillAndServeFromAnotherFolder() async throws {
        let url = try TestDatabase.makeEmpty()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reco-installed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let catalog = try TestCatalog(count: 4)

        let migrate = try await Self.run(["migrate", "--database-url", url])
        #expect(migrate.status == 0 && migrate.output.contains("applied 0001_catalog"), "\(migrate.output)")
        let imported = try await Self.run(["import", "catalog", catalog.csvURL.path, "--database-url", url])
        #expect(imported.status == 0, "\(imported.output)")
        let backfill = try await Self.run(["backfill", "--database-url", url])
        #expect(backfill.status == 0 && backfill.output.contains("embedded 4 of 4"), "\(backfill.output)")

        let reco = try #require(Self.prefix).appendingPathComponent("bin/reco")
        let service = try await ServiceProcess(
            databaseURL: url, environment: Self.environment, executable: reco)
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let similar = try await service.get("/items/item000/similar?in_stock=false")
        let results = try similar.json()["results"] as? [[String: Any]]
        #expect(similar.status == 200 && results?.count == 3)
        #expect(try await service.get("/").text.contains("<form"))  // a page from the compiled-in templates
        #expect(try await service.get("/openapi.yaml").text.hasPrefix("openapi: 3"))
        #expect(service.stop() == 0)
    }
}

enum InstalledReco {
    static var prefix: URL? {
        ProcessInfo.processInfo.environment["RECO_TEST_INSTALL_PREFIX"].flatMap {
            $0.isEmpty ? nil : URL(fileURLWithPath: $0)
        }
    }
}
