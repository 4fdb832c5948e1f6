import Foundation
import Testing

@testable import Catalog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `reco demo`, the real binary, on a miniature stamps folder: every step runs, the service
/// starts and prints its URLs, Ctrl-C (SIGINT) stops it cleanly, and a rerun redoes nothing.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct DemoCommandTests {
    let reco = TestCatalog.projectRoot.appendingPathComponent(".build/debug/reco")

    func demo(_ db: Database, photos: URL, work: URL, serve: Bool) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = reco
        process.arguments =
            ["demo", "--database-url", db.url, "--photos", photos.path, "--work-dir", work.path, "--sessions", "300"]
            + (serve ? ["--port", "0"] : ["--no-serve"])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    @Test func theDemoBuildsServesStopsOnCtrlCAndARerunRedoesNothing() async throws {
        let db = try TestDatabase.makeMigrated()
        let photos = try DemoCatalogTests.miniatureStamps()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(at: photos)
            try? FileManager.default.removeItem(at: work)
        }

        let (process, out) = try demo(db, photos: photos, work: work, serve: true)
        let reader = out.fileHandleForReading
        let text = try await blocking {
            var text = ""
            while !text.contains("listening on http://") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
        #expect(text.contains("3 photos in 3 categories: 3 new"), "\(text)")
        #expect(text.contains("3 embedded") && text.contains("view events stored") && text.contains("/items/"))
        let port = try #require(text.split(separator: "listening on http://127.0.0.1:").last?.prefix { $0.isNumber })
        // The page answers once the first snapshot is loaded (503 until then).
        var status = 0
        for _ in 0..<100 where status != 200 {
            let (_, response) = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(port)/items/food-fruit-apple_red")!)
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if status != 200 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(status == 200)
        process.interrupt()
        try await blocking { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)

        let stored = try db.withConnection { c in
            (
                try c.query("SELECT count(*) AS n FROM embeddings")[0].int("n"),
                try c.query("SELECT count(*) AS n FROM view_events WHERE session_id LIKE 'sim-1-%'")[0].int("n"),
                try c.query("SELECT count(*) AS n FROM coview_builds")[0].int("n")
            )
        }
        #expect(stored.0 == 3 && stored.1 > 300 && stored.2 == 1)

        let (again, againOut) = try demo(db, photos: photos, work: work, serve: false)
        let rerunOut = againOut.fileHandleForReading
        let rerun = try await blocking {
            let text = String(decoding: rerunOut.readDataToEndOfFile(), as: UTF8.self)
            again.waitUntilExit()
            return text
        }
        #expect(again.terminationStatus == 0)
        #expect(
            rerun.contains("0 new, 0 changed") && rerun.contains("0 embedded") && rerun.contains("already stored")
                && rerun.contains("0 new events"), "\(rerun)")
        #expect(try db.withConnection { try $0.query("SELECT count(*) AS n FROM view_events")[0].int("n") } == stored.1)
    }
}
