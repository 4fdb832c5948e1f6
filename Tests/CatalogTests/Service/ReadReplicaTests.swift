import Foundation
import Testing

@testable import Catalog

/// `reco serve --read-database-url` on a real hot standby (ops/pg replica: pg_basebackup and
/// streaming replication) of a private cluster: snapshots load from the standby, ingest writes to
/// the primary, and the standby going away degrades readiness without stopping the answers.
@Suite(.serialized, .needsDatabase) struct ReadReplicaTests {
    @Test func snapshotsComeFromTheReplicaAndIngestGoesToThePrimary() async throws {
        let cluster = ServiceResilienceTests.Cluster()
        let primaryURL = try await cluster.pg("start")
        defer {
            _ = try? cluster.pgBlocking(["replica", "destroy"])
            _ = try? cluster.pgBlocking(["destroy"])
        }
        let replicaURL = try await cluster.pg("replica", "start")
        let db = try ServiceCatalog.make(on: primaryURL)
        let replica = Database(url: replicaURL)
        #expect(try replica.withConnection { try $0.query("SELECT pg_is_in_recovery() AS r")[0].bool("r") })

        let service = try await ServiceProcess(
            databaseURL: primaryURL, arguments: ["--read-database-url", replicaURL, "--coviews-every", "0"])
        _ = try await service.eventually("/readyz") { try $0.json()["status"] as? String == "ready" }
        func ids(_ reply: ServiceProcess.Reply) throws -> [String] {
            try #require(try reply.json()["results"] as? [[String: Any]]).compactMap { $0["item_id"] as? String }
        }

        // An item imported on the primary is served once the standby has it and the refresh ran.
        try ServiceCatalog.write([.init(id: "a7", category: "shoes", vector: [0.98, 0.02, 0])], to: db)
        _ = try NeighbourUpdate(database: db, model: ServiceCatalog.model).run()
        _ = try await service.eventually("/items/a1/similar", within: 15) { try ids($0).first == "a7" }

        // Ingest answers 202 and the events are on the primary (a standby refuses writes).
        let events = ServiceCatalog.viewsJSON([("s1", ["a1", "b1"])])
        let accepted = try await service.request(
            "/events/views", method: "POST", body: events, headers: ["Content-Type": "application/json"])
        #expect(accepted.status == 202)
        #expect(try db.withConnection { try $0.query("SELECT count(*) AS n FROM view_events")[0].int("n") } == 2)

        // The standby stops: readiness degrades, the last snapshot keeps answering.
        try await cluster.pg("replica", "stop")
        let degraded = try await service.eventually("/readyz") { try $0.json()["status"] as? String == "degraded" }
        #expect(degraded.status == 200)
        let similar = try await service.get("/items/a1/similar")
        let served = try ids(similar)
        #expect(similar.status == 200 && served.first == "a7")
        #expect(service.stop() == 0)
    }
}
