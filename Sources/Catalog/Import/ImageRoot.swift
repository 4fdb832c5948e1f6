import Foundation

/// The folder local catalog images must live in (`--image-root` / `RECO_IMAGE_ROOT`): a catalog row
/// naming `/etc/shadow` or `../../secret.png` is refused on import, and such a path is never read
/// for embedding nor served by `GET /images/{id}`. Symbolic links are resolved before the check.
public struct ImageRoot: Sendable, Equatable {
    public let path: String

    public init(_ path: String) {
        self.path = Self.resolve(path)
    }

    /// `RECO_IMAGE_ROOT`, when set and not empty.
    public static var configured: ImageRoot? {
        ProcessInfo.processInfo.environment["RECO_IMAGE_ROOT"].flatMap { $0.isEmpty ? nil : ImageRoot($0) }
    }

    /// Whether the local file `candidate` is inside the root.
    public func admits(_ candidate: String) -> Bool {
        let resolved = Self.resolve(candidate)
        return resolved == path || resolved.hasPrefix(path.hasSuffix("/") ? path : path + "/")
    }

    private static func resolve(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
