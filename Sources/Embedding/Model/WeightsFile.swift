import Foundation

/// reco's converted weights file (docs/MODEL_FORMAT.md): magic `RECOWTS1`, a u32 header length,
/// a JSON header with the model spec and a tensor table, then 64-byte aligned little-endian float32
/// data. Loaded with one read.
struct WeightsFile {
    static let magic = Array("RECOWTS1".utf8)

    private struct Header: Decodable {
        struct Tensor: Decodable {
            let name: String
            let shape: [Int]
            let offset: Int
            let count: Int
        }
        let spec: ModelSpec
        let tensors: [Tensor]
    }

    let spec: ModelSpec
    private let bytes: Data
    private let table: [String: Header.Tensor]

    init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError.missingFile(url.path) }
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch { throw ModelError.invalidFile("\(url.path): \(error)") }
        guard bytes.count >= 12, Array(bytes.prefix(8)) == Self.magic else {
            throw ModelError.invalidFile("\(url.path) does not start with RECOWTS1")
        }
        let headerLength = bytes.withUnsafeBytes {
            Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        }
        guard 12 + headerLength <= bytes.count else { throw ModelError.invalidFile("header runs past the end") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: bytes.subdata(in: 12..<(12 + headerLength)))
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalidFile("unreadable header: \(error)")
        }
        for t in header.tensors where t.offset < 0 || t.count < 0 || t.offset + t.count * 4 > bytes.count {
            throw ModelError.invalidFile("tensor \(t.name) lies outside the file")
        }
        self.spec = header.spec
        self.bytes = bytes
        self.table = Dictionary(header.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The tensor's values in row-major order; its shape must be exactly `shape`.
    func tensor(_ name: String, shape: [Int]) throws -> [Float] {
        guard let t = table[name] else { throw ModelError.invalidFile("missing tensor \(name)") }
        guard t.shape == shape, t.count == shape.reduce(1, *) else {
            throw ModelError.invalidFile("tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<t.count).map {
                Float(
                    bitPattern: UInt32(
                        littleEndian: raw.loadUnaligned(fromByteOffset: t.offset + 4 * $0, as: UInt32.self)))
            }
        }
    }
}
