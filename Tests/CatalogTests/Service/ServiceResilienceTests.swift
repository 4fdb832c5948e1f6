import Foundation
import Testing

@testable import Catalog

/// PostgreSQL stopped under a running service, then started again: on a private cluster
/// (ops/pg with its own folder and port), so the other suites' database stays up.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct ServiceResilienceTests {
    struct Cluster {
        let environment: [String: String]
        init() {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
                "reco-resilience-pg-\(UUID().uuidString.prefix(6))"
            ).path
            environment = ["RECO_PG_DIR": dir, "RECO_PG_PORT": "\(56000 + Int.random(in: 0..<2000))"]
        }

        /// `ops/pg VERB…` off the concurrency pool (it may run initdb or pg_basebackup).
        @discardableResult
        func pg(_ verb: String...) async throws -> String {
            try await blocking { try pgBlocking(verb) }
        }

        /// The same, blocking: for `defer`, which cannot await.
        @discardableResult
        func pgBlocking(_ verb: [String]) throws -> String {
            // Output to a file, not a pipe: the server that `start` leaves running inherits it.
            let process = Process()
            let output = FileManager.default.temporaryDirectory.appendingPathComponent(
                "reco-pg-\(UUID().uuidString.prefix(8)).out")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            process.executableURL = TestCatalog.projectRoot.appendingPathComponent("ops/pg")
            process.arguments = verb
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            process.waitUntilExit()
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            guard process.terminationStatus == 0 else { throw TestFailure("ops/pg \(verb) failed: \(text)") }
            return text.split(separator: "\n").last.map(String.init) ?? ""
        }
    }

    /// The service catalog on a started private cluster, the service ready, one batch accepted.
    struct Running {
        let cluster = Cluster()
        let db: Database
        let service: ServiceProcess
        let events = ServiceCatalog.viewsJSON([("s1", ["a1", "b1"])])
        let json = ["Content-Type": "application/json"]

        init() async throws {
            db = try ServiceCatalog.make(on: try await cluster.pg("start"))
            service = try await ServiceProcess(databaseURL: db.url)
            _ = try await service.eventually("/readyz") { try $0.json()["status"] as? String == "ready" }
            #expect(
                try await service.request("/events/views", method: "POST", body: events, headers: json).status == 202)
        }
    }

    @Test func keepsAnsweringWhilePostgresIsDownAndRecovers() async throws {
        let running = try await Running()
        let (cluster, db, service, events, json) = (
            running.cluster, running.db, running.service, running.events, running.json
        )
        defer { _ = try? cluster.pgBlocking(["destroy"]) }

        try await cluster.pg("stop")
        let degraded = try await service.eventually("/readyz") { try $0.json()["status"] as? String == "degraded" }
        #expect(degraded.status == 200)
        #expect(try degraded.json()["database"] as? String == "down")
        let similar = try await service.get("/items/a1/similar")
        #expect(similar.status == 200)
        #expect(try #require(try similar.json()["results"] as? [[String: Any]]).first?["item_id"] as? String == "a2")
        let refused = try await service.request("/events/views", method: "POST", body: events, headers: json)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] != nil)

        try await cluster.pg("start")
        _ = try await service.eventually("/readyz") { try $0.json()["status"] as? String == "ready" }
        #expect(try await service.request("/events/views", method: "POST", body: events, headers: json).status == 202)
        // Exactly the two accepted batches are stored; the refused one is not.
        #expect(
            try db.withConnection(retryOnConnectionLoss: true) {
                try $0.query("SELECT count(*) AS n FROM view_events")[0].int("n")
            } == 4)
        #expect(service.stop() == 0)
        #expect(service.log.contains("database unreachable"))
    }
}
