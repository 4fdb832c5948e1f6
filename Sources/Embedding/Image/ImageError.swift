/// Why an image could not be turned into network input. Each case has a stable `code` for logs,
/// JSON output and the catalog's failure table.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case notAnImage
    case unsupportedFormat(String)
    case corrupt(String)
    case tooLarge(width: Int, height: Int, limit: Int)
    case unreadable(String)

    public var code: String {
        switch self {
        case .empty: "empty"
        case .notAnImage: "not_an_image"
        case .unsupportedFormat: "unsupported_format"
        case .corrupt: "corrupt"
        case .tooLarge: "too_large"
        case .unreadable: "unreadable"
        }
    }

    public var description: String {
        switch self {
        case .empty: "the file is empty"
        case .notAnImage: "not an image (no JPEG or PNG signature)"
        case .unsupportedFormat(let format): "\(format) images are not supported (JPEG and PNG are)"
        case .corrupt(let reason): "corrupt or truncated image: \(reason)"
        case .tooLarge(let width, let height, let limit):
            "image is \(width)×\(height) = \(width * height) pixels, over the limit of \(limit)"
        case .unreadable(let reason): "cannot read the file: \(reason)"
        }
    }
}
