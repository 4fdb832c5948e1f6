import Foundation

/// Decodes JPEG and PNG bytes to RGB, choosing the decoder from the file's signature.
public enum ImageDecoder {
    public static func decode(_ data: Data, options: DecodeOptions = DecodeOptions()) throws(ImageError) -> RGBImage {
        let result: Result<RGBImage, ImageError> = data.withUnsafeBytes { bytes in
            Result { () throws(ImageError) -> RGBImage in
                switch try ImageFormat.sniff(bytes) {
                case .jpeg: try JPEGDecoder.decode(bytes, options: options)
                case .png: try PNGDecoder.decode(bytes, options: options)
                case .other(let name): throw .unsupportedFormat(name)
                }
            }
        }
        return try result.get()
    }

    public static func decode(contentsOf path: String, options: DecodeOptions = DecodeOptions()) throws(ImageError)
        -> RGBImage
    {
        try decode(try readFile(path), options: options)
    }

    public static func readFile(_ path: String) throws(ImageError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable("\(path): \((error as NSError).localizedDescription)")
        }
    }
}
