import Foundation
import Testing

@testable import Catalog

/// The real `reco serve` over loopback HTTP against a real PostgreSQL.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct ServiceHTTPTests {
    func ids(_ reply: ServiceProcess.Reply) throws -> [String] {
        try #require(try reply.json()["results"] as? [[String: Any]]).map { $0["item_id"] as! String }
    }

    @Test func similarItemsFiltersAndErrors() async throws {
        let db = try ServiceCatalog.make()
        let service = try await ServiceProcess(databaseURL: db.url)
        _ = try await service.eventually("/readyz") { $0.status == 200 }

        let similar = try await service.get("/items/a1/similar")
        #expect(similar.status == 200)
        #expect(similar.headers["content-type"]?.hasPrefix("application/json") == true)
        let body = try similar.json()
        #expect(body["item_id"] as? String == "a1")
        #expect(body["model"] as? String == ServiceCatalog.model)
        #expect(body["fallback"] as? Bool == false)
        // Not itself, not the out-of-stock a4, not the inactive a5; nearest first.
        #expect(try ids(similar) == ["a2", "a3", "b2", "b1"])

        #expect(try ids(await service.get("/items/a1/similar?in_stock=false")).first == "a4")
        #expect(try ids(await service.get("/items/a1/similar?category=same")) == ["a2", "a3"])
        #expect(try ids(await service.get("/items/a1/similar?category=bags")) == ["b2", "b1"])
        #expect(try ids(await service.get("/items/a1/similar?exclude=a2,zz")) == ["a3", "b2", "b1"])
        #expect(try ids(await service.get("/items/a1/similar?limit=2&offset=1")) == ["a3", "b2"])
        #expect(try ids(await service.get("/items/a1/similar?min_score=0.9")) == ["a2", "a3"])
        #expect(try ids(await service.get("/items/a1/similar?limit=5000")).count == 4)  // capped, not refused

        let explained = try await service.get("/items/a1/similar?explain=true&w_image=0.7").json()
        let first = try #require((explained["results"] as? [[String: Any]])?.first)
        #expect(first["category"] as? String == "shoes")
        #expect((explained["explain"] as? [String: Any])?["w_image"] as? Double == 0.7)

        let unknown = try await service.get("/items/nope/similar")
        #expect(unknown.status == 404)
        #expect((try unknown.json()["error"] as? String)?.contains("nope") == true)
        for (query, name) in [
            ("limit=0", "limit"), ("w_image=2", "w_image"), ("offset=-1", "offset"), ("in_stock=maybe", "in_stock"),
            ("min_score=x", "min_score"), ("colour=red", "colour"),
        ] {
            let bad = try await service.get("/items/a1/similar?\(query)")
            #expect(bad.status == 400, "\(query)")
            #expect((try bad.json()["error"] as? String)?.contains(name) == true, "\(query): \(bad.text)")
        }
        // No vector and no co-views: a (here empty) popular-in-category fallback.
        let cold = try await service.get("/items/a6/similar").json()
        #expect(cold["fallback"] as? Bool == true)
        #expect(service.stop() == 0)
    }

    @Test func ingestedViewsChangeTheBlendAfterTheCoViewBuild() async throws {
        let db = try ServiceCatalog.make()
        let service = try await ServiceProcess(
            databaseURL: db.url, arguments: ["--max-body-bytes", "4000"],
            environment: ["RECO_INGEST_TOKEN": "s3cret"])
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        let before = try ids(await service.get("/items/a1/similar"))
        #expect(before.last == "b1")

        let sessions = (0..<6).map { ("s\($0)", ["a1", "b1"]) } + (0..<3).map { ("t\($0)", ["a6", "a3"]) }
        let body = ServiceCatalog.viewsJSON(sessions)
        let auth = ["Authorization": "Bearer s3cret", "Content-Type": "application/json"]
        #expect(
            try await service.request(
                "/events/views", method: "POST", body: body, headers: ["Content-Type": "application/json"]
            ).status == 401)
        #expect(
            try await service.request(
                "/events/views", method: "POST", body: body,
                headers: ["Authorization": "Bearer s3cret", "Content-Type": "text/csv"]
            ).status == 415)
        let bad = try await service.request(
            "/events/views", method: "POST",
            body: Data(
                (#"[{"session_id":"x","item_id":"a1","viewed_at":"2026-01-01T00:00:00Z"},"#
                    + #"{"session_id":"x","viewed_at":"2026-01-01T00:00:00Z"}]"#).utf8), headers: auth)
        #expect(bad.status == 400)
        #expect((try bad.json()["error"] as? String)?.contains("event 2: item_id") == true, "\(bad.text)")
        let huge = Data(
            ("["
                + Array(repeating: #"{"session_id":"x","item_id":"a1","viewed_at":"2026-01-01T00:00:00Z"}"#, count: 100)
                .joined(separator: ",") + "]").utf8)
        #expect(try await service.request("/events/views", method: "POST", body: huge, headers: auth).status == 413)

        let accepted = try await service.request("/events/views", method: "POST", body: body, headers: auth)
        #expect(accepted.status == 202)
        #expect(try accepted.json()["accepted"] as? Int == 18)
        // 202 means stored: nothing rejected above was.
        #expect(try db.withConnection { try $0.query("SELECT count(*) AS n FROM view_events")[0].int("n") } == 18)

        _ = try CoViewBuild(database: db).run()
        let after = try await service.eventually("/items/a1/similar?explain=1&w_image=0") { try ids($0).first == "b1" }
        let b1 = try #require((try after.json()["results"] as? [[String: Any]])?.first)
        #expect(b1["coview_score"] as? Double == 1)
        #expect(b1["coview_sessions"] as? Int == 6)
        // a6 has no vector: its co-views alone now answer, not the fallback.
        let cold = try await service.get("/items/a6/similar").json()
        #expect(cold["fallback"] as? Bool == false)
        #expect(try ids(await service.get("/items/a6/similar")) == ["a3"])
        #expect(service.stop() == 0)
    }

    @Test func aNewItemIsServedWithinTheRefreshWindow() async throws {
        let db = try ServiceCatalog.make()
        let service = try await ServiceProcess(databaseURL: db.url)
        _ = try await service.eventually("/readyz") { $0.status == 200 }
        #expect(try await service.get("/items/a7/similar").status == 404)
        try ServiceCatalog.write([.init(id: "a7", category: "shoes", vector: [0.999, 0.001, 0])], to: db)
        _ = try NeighbourBuild(database: db, model: ServiceCatalog.model).run()
        let reply = try await service.eventually("/items/a7/similar", within: 10) { $0.status == 200 }
        #expect(try ids(reply).first == "a1")
        #expect(try ids(await service.get("/items/a1/similar")).first == "a7")
        #expect(service.stop() == 0)
    }
}
