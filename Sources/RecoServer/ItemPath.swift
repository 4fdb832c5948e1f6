import Foundation
import Hummingbird

/// Item ids in URL paths: percent-encoded in every link, percent-decoded from every route, so an
/// id with a space, `é`, `?`, `#` or `/` is reachable (the router matches the raw path).
enum ItemPath {
    /// The `:id` parameter, decoded; nil when missing or not valid percent-encoding.
    static func id(_ parameters: Parameters) -> String? {
        parameters.get("id").flatMap { $0.removingPercentEncoding }
    }

    /// One path segment: everything but RFC 3986's unreserved characters is encoded.
    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? id
    }

    private static let unreserved = CharacterSet(
        charactersIn:
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
