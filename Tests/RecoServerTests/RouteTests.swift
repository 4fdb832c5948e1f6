import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Ranking
import Testing

@testable import Catalog
@testable import RecoServer

/// The routes in process (HummingbirdTesting's router test client): no socket, no database. The
/// snapshot is built in memory: five items, hand-placed image and co-view lists.
@Suite struct RouteTests {
    /// a1's image neighbours: a2 (0.9), a3 (0.5); co-views: b1 (18 sessions), a3 (4).
    static func snapshot() -> ServingState.Snapshot {
        let items = [
            ServingCatalog.Item(id: "a1", title: "Red apple", facts: ItemFacts(category: "fruit")),
            ServingCatalog.Item(id: "a2", title: "Green apple", facts: ItemFacts(category: "fruit")),
            ServingCatalog.Item(id: "a3", title: "Pear", facts: ItemFacts(category: "fruit", inStock: false)),
            ServingCatalog.Item(id: "b1", title: "Basket", facts: ItemFacts(category: "home")),
            ServingCatalog.Item(id: "c/1 x", title: "Odd id", facts: ItemFacts(category: "home")),
        ]
        let catalog = ServingCatalog(
            model: "test-model", items: items,
            imageNeighbours: [[Neighbour(index: 1, score: 0.9), Neighbour(index: 2, score: 0.5)]],
            coviewNeighbours: [
                [
                    .init(item: 3, score: 1.0, sessions: 18), .init(item: 2, score: 0.5, sessions: 4),
                ]
            ],
            evidence: [40, 10, 5, 30, 0])
        return .init(catalog: catalog, version: ServingVersion(model: "test-model", itemWrites: 5), loadedAt: Date())
    }

    /// The application over a state, its database unreachable (a socket nobody listens on).
    func app(_ state: ServingState, configure: (inout RecoServer.Configuration) -> Void = { _ in })
        throws -> some ApplicationProtocol
    {
        var configuration = RecoServer.Configuration()
        configure(&configuration)
        let server = RecoServer(
            configuration: configuration,
            database: Database(url: "postgresql://reco@/reco?host=/nonexistent&port=1"),
            embedder: { throw CocoaError(.fileNoSuchFile) }, logger: .init(label: "test"))
        return Application(router: try server.router(state: state, metrics: ServiceMetrics()))
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    func ids(_ response: TestResponse) throws -> [String] {
        try #require(try json(response)["results"] as? [[String: Any]]).compactMap { $0["item_id"] as? String }
    }

    @Test func similarBlendsFiltersAndExplains() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state).test(.router) { client in
            // c = 40/60; B = 0.3·0.9 = 0.27; basket 0.7·c·(18/28) = 0.30; the pear is out of stock.
            let similar = try await client.execute(uri: "/items/a1/similar", method: .get)
            #expect(similar.status == .ok)
            #expect(try ids(similar) == ["b1", "a2"])
            let all = try await client.execute(uri: "/items/a1/similar?in_stock=false&w_image=1", method: .get)
            #expect(try ids(all) == ["a2", "a3", "b1"])  // the basket: co-views only, image score 0
            let same = try await client.execute(uri: "/items/a1/similar?category=same&in_stock=false", method: .get)
            #expect(try ids(same).allSatisfy { $0.hasPrefix("a") })
            let explained = try json(await client.execute(uri: "/items/a1/similar?explain=true", method: .get))
            let first = try #require((explained["results"] as? [[String: Any]])?.first)
            #expect(first["coview_sessions"] as? Int == 18)
            #expect(abs((first["coview_shrink"] as? Double ?? 0) - 18.0 / 28) < 1e-9)
            #expect((explained["explain"] as? [String: Any])?["w_image"] as? Double == BlendConfig().imageWeight)
        }
    }

    @Test func badRequestsAreNamedAndUnknownThingsAre404Or405() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state).test(.router) { client in
            for (query, name) in [("limit=0", "limit"), ("w_image=2", "w_image"), ("nope=1", "nope")] {
                let bad = try await client.execute(uri: "/items/a1/similar?\(query)", method: .get)
                let message = try json(bad)["error"] as? String
                #expect(bad.status == .badRequest && message?.contains(name) == true)
            }
            #expect(try await client.execute(uri: "/items/zzz/similar", method: .get).status == .notFound)
            // Ids are percent-decoded in paths.
            #expect(try await client.execute(uri: "/items/c%2F1%20x/similar", method: .get).status == .ok)
            let unknown = try await client.execute(uri: "/nowhere", method: .get)
            let unknownBody = try json(unknown)
            #expect(unknown.status == .notFound && unknownBody["error"] as? String != nil)
            let wrongMethod = try await client.execute(uri: "/items/a1/similar", method: .delete)
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "GET, HEAD")
        }
    }

    @Test func beforeASnapshotSimilarAndReadinessAre503() async throws {
        try await app(ServingState()).test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            let readyBody = try json(ready)
            #expect(ready.status == .serviceUnavailable && readyBody["status"] as? String == "not_ready")
            let similar = try await client.execute(uri: "/items/a1/similar", method: .get)
            #expect(similar.status == .serviceUnavailable && similar.headers[.retryAfter] != nil)
        }
    }

    @Test func readinessSaysDegradedWhileTheDatabaseIsDown() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        state.setDatabaseUp(false)
        try await app(state).test(.router) { client in
            let ready = try json(await client.execute(uri: "/readyz", method: .get))
            #expect(ready["status"] as? String == "degraded" && ready["items"] as? Int == 5)
            #expect(ready["model"] as? String == "test-model")
        }
    }

    @Test func ingestWithADeadDatabaseIs503AndBadEventsAre400() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state).test(.router) { client in
            let headers: HTTPFields = [.contentType: "application/json"]
            let good = #"[{"session_id":"s1","item_id":"a1","viewed_at":"2026-01-02T03:04:05Z"}]"#
            let down = try await client.execute(
                uri: "/events/views", method: .post, headers: headers, body: ByteBuffer(string: good))
            #expect(down.status == .serviceUnavailable && down.headers[.retryAfter] != nil)
            let bad = #"[{"session_id":"s\u0001","item_id":"a1","viewed_at":"2026-01-02T03:04:05Z"}]"#
            let refused = try await client.execute(
                uri: "/events/views", method: .post, headers: headers, body: ByteBuffer(string: bad))
            #expect(refused.status == .badRequest)
        }
    }

    @Test func searchWithoutAModelIs503WithTheReason() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state).test(.router) { client in
            let search = try await client.execute(
                uri: "/search/image", method: .post, headers: [.contentType: "image/png"],
                body: ByteBuffer(bytes: [0x89, 0x50, 0x4E, 0x47]))
            let message = try json(search)["error"] as? String
            #expect(search.status == .serviceUnavailable && message?.contains("unavailable") == true)
        }
    }

    @Test func withoutSearchTheSnapshotHasNoVectorsAndSearchSaysWhy() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state, configure: { $0.searchByImage = false }).test(.router) { client in
            let search = try await client.execute(
                uri: "/search/image", method: .post, headers: [.contentType: "image/png"],
                body: ByteBuffer(bytes: [0x89, 0x50, 0x4E, 0x47]))
            let message = try json(search)["error"] as? String
            #expect(search.status == .serviceUnavailable && message?.contains("--no-search") == true)
            #expect(try await client.execute(uri: "/items/a1/similar", method: .get).status == .ok)
        }
    }

    @Test func pagesTheDocumentAndMetricsAreServed() async throws {
        let state = ServingState()
        state.install(Self.snapshot())
        try await app(state).test(.router) { client in
            let index = try await client.execute(uri: "/", method: .get)
            #expect(index.status == .ok && String(buffer: index.body).contains("Red apple"))
            let item = try await client.execute(uri: "/items/a1", method: .get)
            #expect(item.status == .ok && String(buffer: item.body).contains("/items/b1"))
            let document = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(String(buffer: document.body).hasPrefix("openapi: 3"))
            _ = try await client.execute(uri: "/items/a1/similar", method: .get)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(
                metrics.contains(#"reco_http_requests_total{method="GET",route="/items/{id}/similar",status="200"}"#))
            #expect(metrics.contains("\nreco_items 5.0\n"))
        }
    }
}
