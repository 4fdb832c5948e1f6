import Foundation
import Ranking
import Testing

@testable import Catalog

/// Damaged input files: every bad row is reported with its line and every good row is kept.
@Suite(.needsDatabase, .dropsDatabases) struct HostileImportTests {
    func write(_ bytes: Data, _ name: String) throws -> String { try temporaryFile(bytes, named: name) }

    func ids(_ db: Database) throws -> [String] {
        try db.withConnection { try $0.query("SELECT id FROM items ORDER BY id").map { try $0.string("id") } }
    }

    @Test func aDamagedCatalogKeepsItsGoodRows() throws {
        let db = try TestDatabase.makeMigrated()
        var file = Data("id,title,category\n".utf8)  // line 1
        file += Data("good1,Shoe,shoes\n".utf8)  // 2
        file += Data("bad-utf8,Caf".utf8) + Data([0xC3, 0x28]) + Data(",x\n".utf8)  // 3
        file += Data("bad-nul,Nu".utf8) + Data([0]) + Data("l,x\n".utf8)  // 4
        file += Data("long,Long,\(String(repeating: "c", count: 3_000))\n".utf8)  // 5
        file += Data("good1 ,Trailing space,shoes\n".utf8)  // 6
        file += Data("quote,\"never closed,x\n".utf8)  // 7
        file += Data("good2,\"Cup, \"\"large\"\"\nwith a line break\",kitchen\n".utf8)  // 8-9
        file += Data("good3,Lamp,home\n".utf8)  // 10
        file += Data("good3,Lamp again,home\n".utf8)  // 11
        var bad: [RowError] = []
        var warnings: [RowError] = []
        let summary = try CatalogImporter(database: db).run(
            path: try write(file, "catalog.csv"),
            onBadRow: { bad.append($0) }, onWarning: { warnings.append($0) })
        #expect(bad.map(\.line) == [3, 4, 5, 6, 7], "\(bad)")
        #expect(bad[0].reason.contains("UTF-8") && bad[1].reason.contains("NUL") && bad[2].reason.contains("category"))
        #expect(bad[3].reason.contains("white space") && bad[4].reason.contains("never closed"))
        #expect(warnings.map(\.line) == [11] && warnings[0].reason.contains("line 10"))
        #expect(try ids(db) == ["good1", "good2", "good3"])
        #expect(summary.inserted == 3 && summary.bad.count == 5 && summary.warnings.count == 1)
        let title = try db.withConnection {
            try $0.query("SELECT title FROM items WHERE id = 'good2'")[0].string("title")
        }
        #expect(title == "Cup, \"large\"\nwith a line break")
    }

    @Test func aDamagedViewsLogKeepsItsGoodRows() throws {
        let db = try TestDatabase.makeMigrated()
        var file = Data("session_id,item_id,viewed_at\n".utf8)
        file += Data("s1,a,2026-11-01T10:00:00Z\n".utf8)
        file += Data("s1,\(String(repeating: "i", count: 3_000)),2026-11-01T10:00:00Z\n".utf8)
        file += Data("s1,a,99999-11-02T10:00:00Z\n".utf8)
        file += Data("s\u{1}2,a,2026-11-01T10:00:00Z\n".utf8)
        file += Data("s2,b,2026-11-01T10:00:00Z".utf8)  // no final newline
        var lines: [Int] = []
        let summary = try ViewImporter(database: db).run(path: try write(file, "views.csv")) { lines.append($0.line) }
        #expect(lines == [3, 4, 5] && summary.inserted == 2)
    }

    @Test func imagePathsOutsideTheImageRootAreBadRows() throws {
        let db = try TestDatabase.makeMigrated()
        let path = try write(
            Data("id,image\nin,img/a.jpg\nup,../outside.jpg\nabs,/etc/passwd\nweb,https://example.com/a.jpg\n".utf8),
            "catalog.csv")
        var importer = CatalogImporter(database: db)
        importer.imageRoot = ImageRoot(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        var bad: [RowError] = []
        _ = try importer.run(path: path) { bad.append($0) }
        #expect(bad.map(\.line) == [3, 4] && bad.allSatisfy { $0.reason.contains("outside the image root") })
        #expect(try ids(db) == ["in", "web"])
        var loader = ImageLoader()
        loader.root = importer.imageRoot
        #expect(throws: ImageLoadError.self) { try loader.load("/etc/passwd") }
    }

    /// Random damage to a good file, many times over: the import never stops, every row is either
    /// kept or reported, and an untouched last row is always kept.
    @Test(arguments: 1...40) func randomDamageNeverStopsAnImport(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        var lines = (1...30).map { Array("id\($0),Title \($0),cat\($0 % 4)".utf8) }
        for _ in 0..<6 {
            let i = below(lines.count)
            switch below(5) {
            case 0: lines[i].insert(UInt8(truncatingIfNeeded: rng.next()), at: below(lines[i].count + 1))
            case 1: lines[i].insert(UInt8(ascii: "\""), at: below(lines[i].count + 1))
            case 2: lines[i].removeSubrange(0..<below(lines[i].count))
            case 3: lines[i] += (0..<below(400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            default: lines[i].insert(0, at: below(lines[i].count + 1))
            }
        }
        var file = Data("id,title,category\n".utf8)
        for line in lines { file += Data(line) + Data("\n".utf8) }
        file += Data("sentinel,Last,cat\n".utf8)
        let db = try TestDatabase.makeMigrated()
        let summary = try CatalogImporter(database: db).run(path: try write(file, "fuzz.csv"))
        #expect(summary.read == summary.inserted + summary.updated + summary.unchanged + summary.bad.count)
        #expect(try ids(db).contains("sentinel"))
    }
}
