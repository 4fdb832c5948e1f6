import Embedding
import Foundation
import Synchronization
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct EmbeddingJobTests {
    static let embedder = TestCatalog.embedder
    static var model: String { embedder.modelIdentifier }

    func job(
        _ db: Database, _ selection: WorkSelection = .pending, batch: Int = 4, retryAfter: TimeInterval = 3600,
        embedder: Embedder = Self.embedder
    ) -> EmbeddingJob {
        var options = EmbeddingJobOptions()
        options.selection = selection
        options.batchSize = batch
        options.retryAfter = retryAfter
        return EmbeddingJob(database: db, embedder: embedder, options: options)
    }

    func imported(_ count: Int, extraRows: String = "") throws -> (Database, TestCatalog) {
        let db = try TestDatabase.makeMigrated()
        let catalog = try TestCatalog(count: count, extraRows: extraRows)
        _ = try CatalogImporter(database: db).run(path: catalog.csvURL.path)
        return (db, catalog)
    }

    @Test func backfillWritesBitIdenticalVectorsAndCorruptImagesBecomeFailures() throws {
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent(
            "reco-corrupt-\(UUID().uuidString.prefix(6)).jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: corrupt)
        let (db, catalog) = try imported(
            7, extraRows: "bad,Broken,x,\(corrupt.path),true\ngone,Gone,x,/nonexistent/reco.jpg,true\n")
        let summary = try job(db).run()
        #expect(summary.total == 9 && summary.embedded == 7 && summary.failed == 2)
        let stored = try vectors(db, model: Self.model)
        #expect(Set(stored.keys) == Set(catalog.ids))
        for id in catalog.ids {
            let expected = try Self.embedder.embed(Data(contentsOf: URL(fileURLWithPath: catalog.imagePath(id)))).vector
            #expect(stored[id] == expected, "\(id) read back differs")
        }
        let failures = try EmbeddingFailure.list(database: db, model: Self.model)
        #expect(
            Dictionary(uniqueKeysWithValues: failures.map { ($0.itemID, $0.errorClass) }) == [
                "bad": "corrupt", "gone": "missing_file",
            ])
        #expect(failures.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt > Date().addingTimeInterval(3000) })
        // Backing off: a second run does not retry them yet, and has nothing else to do.
        #expect(try job(db).run().total == 0)
        // Due again (as after the back-off): retried, failing again, attempts counted.
        try db.withConnection {
            try $0.execute("UPDATE embedding_failures SET next_attempt_at = now() - interval '1 second'")
        }
        let retry = try job(db).run()
        #expect(retry.total == 2 && retry.failed == 2)
        #expect(try EmbeddingFailure.list(database: db, model: Self.model).allSatisfy { $0.attempts == 2 })
        let status = try CatalogStatus.read(database: db, model: Self.model)
        #expect(status.embedded == 7 && status.failing == 2 && status.missing == 2)
    }

    @Test func twoConcurrentWorkersNeverEmbedTheSameItem() throws {
        let (db, catalog) = try imported(60)
        let counts = Mutex<[Int]>([])
        // Two jobs with their own connection pools, as two processes would have, on threads of their
        // own (DispatchQueue.concurrentPerform may run both on one thread when the pool is busy with
        // the other suites), released together once both are ready.
        let ready = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for _ in 0..<2 {
            ready.enter()
            done.enter()
            Thread {
                let mine = Database(url: db.url)
                var options = EmbeddingJobOptions()
                options.batchSize = 2
                options.workers = 1
                let job = EmbeddingJob(database: mine, embedder: Self.embedder, options: options)
                ready.leave()
                start.wait()
                let summary = try! job.run()
                counts.withLock { $0.append(summary.embedded) }
                done.leave()
            }.start()
        }
        ready.wait()
        start.signal()
        start.signal()
        done.wait()
        let perWorker = counts.withLock { $0 }
        #expect(perWorker.reduce(0, +) == 60, "each item embedded exactly once: \(perWorker)")
        #expect(perWorker.allSatisfy { $0 > 0 }, "both workers got work: \(perWorker)")
        #expect(try vectors(db, model: Self.model).count == catalog.ids.count)
    }

    @Test func aKilledBackfillFinishesOnRerunWithOneVectorPerItem() throws {
        let (db, catalog) = try imported(36)
        let reco = TestCatalog.projectRoot.appendingPathComponent(".build/debug/reco")
        try #require(
            FileManager.default.isExecutableFile(atPath: reco.path), "build the reco binary first (ops/test does)")
        let process = Process()
        process.executableURL = reco
        process.arguments = [
            "backfill", "--batch", "2", "--workers", "1", "--database-url", db.url,
            "--model-dir", TestCatalog.projectRoot.appendingPathComponent("models").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill -9 once some batches are committed but before the end.
        let deadline = Date().addingTimeInterval(60)
        var committed = 0
        while Date() < deadline {
            committed = try vectors(db, model: Self.model).count
            if committed >= 4 { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let afterKill = try vectors(db, model: Self.model).count
        #expect(afterKill >= 4 && afterKill < 36, "killed midway (\(afterKill) of 36 written)")
        let rerun = try job(db).run()
        #expect(rerun.embedded == 36 - afterKill)
        let rows = try db.withConnection {
            try $0.query("SELECT item_id, count(*) AS n FROM embeddings GROUP BY item_id")
        }
        #expect(rows.count == 36 && rows.allSatisfy { (try? $0.int("n")) == 1 })
        let runs = try db.withConnection {
            try $0.query("SELECT status FROM job_runs WHERE kind = 'backfill' ORDER BY id").map {
                try $0.string("status")
            }
        }
        #expect(runs == ["interrupted", "succeeded"])
        #expect(Set(try vectors(db, model: Self.model).keys) == Set(catalog.ids))
    }

    @Test func nightlyReembedsExactlyTheChangedImages() throws {
        let (db, catalog) = try imported(12)
        #expect(try job(db).run().embedded == 12)
        let before = try createdAt(db)
        // Two images get new content; a third is only touched (same bytes, new mtime).
        let changed = ["item001", "item004"]
        try Data(contentsOf: TestCatalog.photos[5]).write(to: URL(fileURLWithPath: catalog.imagePath("item001")))
        try Data(contentsOf: TestCatalog.photos[2]).write(to: URL(fileURLWithPath: catalog.imagePath("item004")))
        let touched = try catalog.imagePath("item007")
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-86_400)], ofItemAtPath: touched)
        let summary = try NightlyJob(job: job(db, retryAfter: 0)).run()
        #expect(summary.scanned == 12 && summary.changed == 2 && summary.touched == 1)
        #expect(summary.embedding.embedded == 2 && summary.embedding.failed == 0)
        let after = try createdAt(db)
        #expect(Set(after.keys.filter { after[$0] != before[$0] }) == Set(changed))
        for id in changed {
            let expected = try Self.embedder.embed(Data(contentsOf: URL(fileURLWithPath: catalog.imagePath(id)))).vector
            #expect(try vectors(db, model: Self.model)[id] == expected)
        }
        // Nothing changed since: a second nightly embeds nothing and does not even read the files.
        let quiet = try NightlyJob(job: job(db)).run()
        #expect(quiet.changed == 0 && quiet.touched == 0 && quiet.embedding.embedded == 0)
    }

    @Test func aModelChangeReembedsEverythingUnderTheNewIdentifier() throws {
        let (db, _) = try imported(5)
        #expect(try job(db).run().embedded == 5)
        let cropped = Embedder(network: Self.embedder.network, resize: .crop)
        let nightly = try NightlyJob(job: job(db, embedder: cropped)).run()
        #expect(nightly.embedding.embedded == 5)
        #expect(try vectors(db, model: cropped.modelIdentifier).count == 5)
        #expect(try vectors(db, model: Self.model).count == 5)
    }

    @Test func selectionsMarkAndRestrictTheWork() throws {
        let (db, _) = try imported(9)
        #expect(try job(db, .ids(["item002", "item005"])).run().embedded == 2)
        #expect(try job(db, .missing).run().embedded == 7)
        #expect(try job(db, .category("cups")).run().embedded == 3)
        #expect(try job(db, .all).run().embedded == 9)
        #expect(try job(db).run().total == 0)
    }

    @Test func imagesFromURLsAreFetchedAndCheckedWithConditionalRequests() throws {
        let served = FileManager.default.temporaryDirectory.appendingPathComponent(
            "reco-http-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestCatalog.photos[1], to: served.appendingPathComponent("cup.jpg"))
        let server = try LoopbackHTTPServer(directory: served)
        defer { server.stop() }
        let db = try TestDatabase.makeMigrated()
        let csv = served.appendingPathComponent("catalog.csv")
        try "id,image\ncup,\(server.base)/cup.jpg\nnone,\(server.base)/missing.jpg\n".write(
            to: csv, atomically: true, encoding: .utf8)
        _ = try CatalogImporter(database: db).run(path: csv.path)
        var options = EmbeddingJobOptions()
        options.loader.retries = 0
        let summary = try EmbeddingJob(database: db, embedder: Self.embedder, options: options).run()
        #expect(summary.embedded == 1 && summary.failed == 1)
        #expect(
            try vectors(db, model: Self.model)["cup"]
                == Self.embedder.embed(Data(contentsOf: TestCatalog.photos[1])).vector)
        #expect(try EmbeddingFailure.list(database: db, model: Self.model).map(\.errorClass) == ["http_error"])
        // The server answers 304 to the stored Last-Modified: nothing is re-embedded.
        let nightly = try NightlyJob(job: EmbeddingJob(database: db, embedder: Self.embedder, options: options)).run()
        #expect(nightly.scanned == 1 && nightly.changed == 0 && nightly.touched == 0 && nightly.embedding.embedded == 0)
    }

    func createdAt(_ db: Database) throws -> [String: Date] {
        try db.withConnection { c in
            Dictionary(
                uniqueKeysWithValues: try c.query("SELECT item_id, created_at FROM embeddings").map {
                    (try $0.string("item_id"), try $0.date("created_at"))
                })
        }
    }
}
