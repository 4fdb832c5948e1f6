import Catalog
import Foundation

/// The demo catalog: the photo cut-outs of Tux Paint's stamp collection (Debian
/// `tuxpaint-stamps-default`, GPL-2, fetched by ops/demo/fetch-photos), one item per photo, its
/// top-level folder as the category and its description as the title. Drawings are left out:
/// stamps drawn as SVG, the `cartoon` folders, symbols, road signs and flags.
public enum DemoCatalog {
    public struct Photo: Sendable, Equatable {
        public let id: String
        public let title: String
        public let category: String
        /// The first two folder levels (`animals/birds`): a finer label than the category, for
        /// `reco eval`'s label precision; never given to the session simulator.
        public let subcategory: String
        public let path: String
        public let inStock: Bool
    }

    static let drawings = ["symbols/", "town/roadsigns/", "town/flags/"]

    /// The photos under `stamps` (the `stamps` folder of the package), sorted by id.
    public static func photos(in stamps: URL) throws -> [Photo] {
        let root = stamps.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw DemoError.noStampsFolder(root)
        }
        var photos: [Photo] = []
        for case let relative as String in walker where relative.hasSuffix(".png") {
            let stem = String(relative.dropLast(4))
            let parts = stem.split(separator: "/").map(String.init)
            guard parts.count >= 2, !parts.contains("cartoon"), !drawings.contains(where: relative.hasPrefix),
                !FileManager.default.fileExists(atPath: "\(root)/\(stem).svg")
            else { continue }
            let id = parts.joined(separator: "-").lowercased()
            photos.append(
                Photo(
                    id: id, title: title(description: "\(root)/\(stem).txt", file: parts.last!),
                    category: parts[0], subcategory: parts.count >= 3 ? "\(parts[0])/\(parts[1])" : parts[0],
                    path: "\(root)/\(relative)", inStock: stableFraction(id) >= 0.08))
        }
        guard !photos.isEmpty else { throw DemoError.noPhotos(root) }
        return photos.sorted { $0.id < $1.id }
    }

    /// The catalog CSV (reco's import format) for `photos`.
    public static func writeCSV(_ photos: [Photo], to url: URL) throws {
        try CSVFile.write(
            to: url, header: ["id", "title", "category", "subcategory", "image", "in_stock", "source"],
            rows: photos.map {
                [
                    $0.id, $0.title, $0.category, $0.subcategory, $0.path, $0.inStock ? "true" : "false",
                    "Tux Paint stamps (GPL-2)",
                ]
            })
    }

    /// "A red apple." → "Red apple"; without a description, the file name.
    static func title(description path: String, file: String) -> String {
        var text =
            (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? ""
        text = text.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text.contains("=") {
            text = file.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
        }
        for article in ["A ", "An ", "The ", "Some ", "a ", "an ", "the ", "some "] where text.hasPrefix(article) {
            text.removeFirst(article.count)
            break
        }
        while text.hasSuffix(".") || text.hasSuffix("!") { text.removeLast() }
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    /// A number in [0, 1) fixed by `id` (FNV-1a), so stock flags are the same on every machine.
    static func stableFraction(_ id: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Double(hash >> 11) / Double(1 << 53)
    }
}

/// Why the demo cannot be set up.
public enum DemoError: Error, CustomStringConvertible {
    case noStampsFolder(String)
    case noPhotos(String)
    case noImageNeighbours

    public var description: String {
        switch self {
        case .noStampsFolder(let path): "no stamps folder at \(path): run ops/demo/fetch-photos"
        case .noPhotos(let path): "no photos under \(path)"
        case .noImageNeighbours: "no image neighbours are built yet: run `reco neighbours update` first"
        }
    }
}
