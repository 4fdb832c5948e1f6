import Foundation

/// Recognises an image by its first bytes (never by file name).
enum ImageFormat: Equatable {
    case jpeg
    case png
    case other(String)

    static func sniff(_ bytes: UnsafeRawBufferPointer) throws(ImageError) -> ImageFormat {
        if bytes.isEmpty { throw .empty }
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && zip(bytes[offset...], prefix).allSatisfy { $0 == $1 }
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF8".utf8)) { return .other("GIF") }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .other("WebP") }
        if starts(Array("BM".utf8)) { return .other("BMP") }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .other("TIFF") }
        if starts(Array("ftyp".utf8), at: 4) { return .other("HEIF/AVIF") }
        if starts([0x00, 0x00, 0x01, 0x00]) { return .other("ICO") }
        throw .notAnImage
    }
}

public enum ImageContentType {
    /// The media type of image bytes we can decode (JPEG or PNG), from their first bytes.
    public static func of(_ data: Data) -> String? {
        let format = data.withUnsafeBytes { try? ImageFormat.sniff($0) }
        switch format {
        case .jpeg: return "image/jpeg"
        case .png: return "image/png"
        default: return nil
        }
    }
}
