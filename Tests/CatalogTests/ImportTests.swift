import Foundation
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct ImportTests {
    func write(_ text: String, _ name: String) throws -> String { try temporaryFile(Data(text.utf8), named: name) }

    @Test func csvUpsertsAndReportsBadRowsByLine() throws {
        let db = try TestDatabase.makeMigrated()
        let path = try write(
            """
            id,title,category,image,in_stock,color,size
            a,Shoe,shoes,img/a.jpg,true,red,42
            b,"Cup, large",kitchen,https://example.com/b.jpg,0,white,
            ,No id,x,,true,,
            c,Bad stock,x,,perhaps,,
            d,Too few
            e,Plain,,,,,

            """, "catalog.csv")
        var reported: [RowError] = []
        let first = try CatalogImporter(database: db).run(path: path) { reported.append($0) }
        #expect(first.read == 6 && first.inserted == 3 && first.bad.count == 3)
        #expect(reported.map(\.line) == [4, 5, 6])
        #expect(reported[1].reason.contains("in_stock"))
        let rows = try db.withConnection {
            try $0.query(
                "SELECT id, title, category, attributes::text AS a, image_uri, in_stock FROM items ORDER BY id")
        }
        #expect(try rows.map { try $0.string("id") } == ["a", "b", "e"])
        #expect(try rows[0].string("a") == #"{"size": "42", "color": "red"}"#)
        #expect(
            try rows[0].string("image_uri")
                == URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("img/a.jpg").path)
        #expect(
            try rows[1].string("title") == "Cup, large" && rows[1].string("image_uri") == "https://example.com/b.jpg")
        #expect(try rows[1].bool("in_stock") == false)
        #expect(rows[2]["image_uri"].isNull)

        // Same file again: nothing changes. A changed title is an update.
        let again = try CatalogImporter(database: db).run(path: path)
        #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == 3)
        let changed = try write("id,title\na,Boot\n", "update.csv")
        let third = try CatalogImporter(database: db).run(path: changed, deactivateMissing: true)
        #expect(third.updated == 1 && third.deactivated == 2)
        let active = try db.withConnection {
            try $0.query("SELECT id FROM items WHERE active ORDER BY id").map { try $0.string("id") }
        }
        #expect(active == ["a"])
    }

    @Test func jsonLinesKeepsTypesInAttributes() throws {
        let db = try TestDatabase.makeMigrated()
        let path = try write(
            """
            {"id": 7, "title": "Lamp", "in_stock": false, "price": 19.5, "tags": ["a", "b"], "dims": {"h": 3}}
            not json
            [1, 2]
            {"title": "no id"}
            {"id": "x", "category": "cats"}
            """, "catalog.jsonl")
        var lines: [Int] = []
        let summary = try CatalogImporter(database: db).run(path: path) { lines.append($0.line) }
        #expect(summary.inserted == 2 && lines == [2, 3, 4])
        let row = try #require(
            try db.withConnection { try $0.query("SELECT attributes::text AS a, in_stock FROM items WHERE id = '7'") }
                .first)
        #expect(try row.string("a") == #"{"dims": {"h": 3}, "tags": ["a", "b"], "price": 19.5}"#)
        #expect(try row.bool("in_stock") == false)
    }

    @Test func viewsAreAppendedAndBadRowsReported() throws {
        let db = try TestDatabase.makeMigrated()
        let path = try write(
            """
            session_id,item_id,viewed_at
            s1,a,2026-11-01T10:00:00Z
            s1,b,2026-11-01T10:00:05.250+01:00
            s2,a,yesterday
            ,a,2026-11-01T10:00:00Z
            s2,c,2026-11-02T08:00:00Z
            """, "views.csv")
        var lines: [Int] = []
        let summary = try ViewImporter(database: db).run(path: path) { lines.append($0.line) }
        #expect(summary.inserted == 3 && lines == [4, 5])
        let times = try db.withConnection {
            try $0.query("SELECT viewed_at FROM view_events ORDER BY id").map { try $0.date("viewed_at") }
        }
        #expect(times[1].timeIntervalSince1970 == ISO8601.parse("2026-11-01T09:00:05.25Z")!.timeIntervalSince1970)
        let runs = try db.withConnection {
            try $0.query("SELECT kind, status FROM job_runs").map {
                "\(try $0.string("kind")) \(try $0.string("status"))"
            }
        }
        #expect(runs == ["import-views succeeded"])
    }

    @Test func aMissingFileIsOneClearError() throws {
        let db = try TestDatabase.makeMigrated()
        #expect(throws: ImportError.unreadable("/nonexistent/catalog.csv")) {
            try CatalogImporter(database: db).run(path: "/nonexistent/catalog.csv")
        }
    }
}
