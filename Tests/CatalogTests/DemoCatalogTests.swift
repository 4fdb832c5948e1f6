import Foundation
import Testing

@testable import Catalog
@testable import Demo

/// The demo catalog's selection rules on a miniature of the stamps package's layout.
@Suite(.needsDatabase, .dropsDatabases) struct DemoCatalogTests {
    @Test func photosAreTakenDrawingsLeftOutTitlesCleaned() throws {
        let root = try Self.miniatureStamps()
        defer { try? FileManager.default.removeItem(at: root) }
        let photos = try DemoCatalog.photos(in: root)
        #expect(photos.map(\.id) == ["animals-cats-tabby", "food-fruit-apple_red", "household-mug_big"])
        #expect(photos.map(\.title) == ["Tabby cat", "Red apple", "Mug big"])
        #expect(photos.map(\.category) == ["animals", "food", "household"])
        #expect(photos.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        #expect(try DemoCatalog.photos(in: root) == photos)  // stock flags too: fixed by the id

        let csv = root.appendingPathComponent("catalog.csv")
        try DemoCatalog.writeCSV(photos, to: csv)
        let db = try TestDatabase.makeMigrated()
        let summary = try CatalogImporter(database: db).run(path: csv.path)
        #expect(summary.inserted == 3 && summary.bad.isEmpty)
        #expect(throws: DemoError.self) { try DemoCatalog.photos(in: root.appendingPathComponent("nope")) }
    }

    /// A miniature of the stamps package: three photos (with and without descriptions) and five
    /// stamps the demo must leave out (cartoon, SVG-drawn, symbols, road signs, no category folder).
    static func miniatureStamps() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "stamps-\(UUID().uuidString.prefix(8))")
        let png = TestCatalog.photos[4]  // chelsea.png
        func stamp(_ path: String, description: String? = nil, svg: Bool = false) throws {
            let file = root.appendingPathComponent(path + ".png")
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: png, to: file)
            if let description {
                try description.write(to: root.appendingPathComponent(path + ".txt"), atomically: true, encoding: .utf8)
            }
            if svg {
                try "<svg/>".write(to: root.appendingPathComponent(path + ".svg"), atomically: true, encoding: .utf8)
            }
        }
        try stamp("food/fruit/apple_red", description: "A red apple.\nfr.utf8=Une pomme rouge.\n")
        try stamp("animals/cats/Tabby", description: "The tabby cat!")
        try stamp("household/mug_big")
        try stamp("food/fruit/cartoon/apple", description: "A cartoon apple.")
        try stamp("plants/tree_drawn", description: "A tree.", svg: true)
        try stamp("symbols/money/euro", description: "A euro sign.")
        try stamp("town/roadsigns/stop", description: "A stop sign.")
        try stamp("loose", description: "No category folder.")
        return root
    }
}
