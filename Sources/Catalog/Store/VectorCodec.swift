/// Vectors are stored as little-endian float32 bytes (`embeddings.vector`), 4 × dims long.
public enum VectorCodec {
    public static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for x in vector { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> [Float] {
        guard bytes.count % 4 == 0 else {
            throw PostgresError(.decoding, "vector of \(bytes.count) bytes is not float32s")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }
}
