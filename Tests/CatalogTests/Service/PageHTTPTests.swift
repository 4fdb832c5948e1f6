import Foundation
import Testing

@testable import Catalog

/// The HTML pages and the images they link, over HTTP, on the fixture photos' catalog.
@Suite(.serialized, .needsDatabase, .dropsDatabases) struct PageHTTPTests {
    /// Every `src="/images/…"` on a page.
    func imageLinks(_ html: String) -> [String] {
        html.components(separatedBy: "src=\"").dropFirst().compactMap {
            $0.split(separator: "\"").first.map(String.init)
        }
        .filter { $0.hasPrefix("/images/") }
    }

    @Test func pagesRenderAndEveryLinkedImageIsServedWithItsTypeAndCaching() async throws {
        let db = try SearchHTTPTests().catalog()
        let service = try await ServiceProcess(databaseURL: db.url)
        _ = try await service.eventually("/readyz") { $0.status == 200 }

        let start = try await service.get("/")
        #expect(start.status == 200 && start.headers["content-type"] == "text/html; charset=utf-8")
        #expect(
            start.text.contains("href=\"/items/item000\"") && start.text.contains("enctype=\"multipart/form-data\""))
        let startImages = imageLinks(start.text)
        #expect(startImages.count == 6)
        #expect(start.text.contains("6 of 6 items.") && !start.text.contains("matching"))
        let filtered = try await service.get("/?category=space&q=item00")
        #expect(imageLinks(filtered.text) == ["/images/item002", "/images/item005"])
        #expect(filtered.text.contains("2 of 2 items matching “item00”"))

        let page = try await service.get("/items/item000?w_image=0.8&category=&in_stock=false")
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("Item 0") && page.text.contains("value=\"0.800\""))
        let pageImages = imageLinks(page.text)
        // The item, then exactly the items /similar answers with the same settings.
        let similar = try #require(
            try await service.get("/items/item000/similar?w_image=0.8&in_stock=false").json()["results"]
                as? [[String: Any]])
        #expect(pageImages == ["/images/item000"] + similar.map { "/images/\($0["item_id"] as! String)" })
        #expect(similar.count >= 3)
        #expect(page.text.contains("score ") && page.text.contains("image "))

        for link in Set(startImages + pageImages) {
            let image = try await service.get(link)
            #expect(image.status == 200, "\(link)")
            let type = try #require(image.headers["content-type"])
            #expect(
                type == (link == "/images/item004" || link == "/images/item005" ? "image/png" : "image/jpeg"),
                "\(link): \(type)")
            #expect(image.headers["cache-control"]?.contains("max-age") == true)
            let etag = try #require(image.headers["etag"])
            #expect(try await service.request(link, headers: ["If-None-Match": etag]).status == 304)
        }
        #expect(try await service.get("/images/nope").status == 404)

        let missing = try await service.get("/items/nope")
        #expect(missing.status == 404 && missing.text.contains("nope"))
        let bad = try await service.get("/items/item000?w_image=2")
        #expect(bad.status == 400 && bad.text.contains("w_image"))

        let (form, headers) = SearchHTTPTests.form(try Data(contentsOf: SearchHTTPTests.query))
        let results = try await service.request("/search?limit=3", method: "POST", body: form, headers: headers)
        #expect(results.status == 200 && results.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(imageLinks(results.text).first == "/images/item003")
        #expect(!results.text.contains("Nothing in the catalog looks close"))
        // A drawing of four coloured squares is like no photo (cosine ≤ 0.15): the page says so.
        let squares = TestCatalog.projectRoot.appendingPathComponent("Tests/EmbeddingTests/Fixtures/quadrants.png")
        let (far, farHeaders) = SearchHTTPTests.form(try Data(contentsOf: squares), type: "image/png")
        let nothing = try await service.request("/search?limit=3", method: "POST", body: far, headers: farHeaders)
        #expect(nothing.status == 200 && nothing.text.contains("Nothing in the catalog looks close"))
        let refused = try await service.request(
            "/search", method: "POST", body: Data("x".utf8), headers: ["Content-Type": "text/plain"])
        #expect(refused.status == 415 && refused.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(service.stop() == 0)
    }
}
