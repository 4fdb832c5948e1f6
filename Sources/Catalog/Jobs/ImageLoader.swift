import Crypto
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What we knew about an image when we last read it, for cheap change checks.
public struct ImageValidators: Sendable, Equatable {
    public var fileSize: Int?
    public var fileModified: Date?
    public var etag: String?
    public var lastModified: String?
    public var contentSHA256: [UInt8]?

    public init(
        fileSize: Int? = nil, fileModified: Date? = nil, etag: String? = nil, lastModified: String? = nil,
        contentSHA256: [UInt8]? = nil
    ) {
        self.fileSize = fileSize
        self.fileModified = fileModified
        self.etag = etag
        self.lastModified = lastModified
        self.contentSHA256 = contentSHA256
    }
}

public struct LoadedImage: Sendable {
    public let bytes: Data
    public let sha256: [UInt8]
    /// Validators of what was read (size/mtime for files, ETag/Last-Modified for URLs).
    public let validators: ImageValidators
}

public enum ImageLoadError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadable(String)
    case tooBig(Int)
    case http(Int)
    case network(String)

    public var code: String {
        switch self {
        case .missingFile: "missing_file"
        case .unreadable: "unreadable"
        case .tooBig: "too_big"
        case .http: "http_error"
        case .network: "network_error"
        }
    }

    public var description: String {
        switch self {
        case .missingFile(let p): "image file \(p) does not exist"
        case .unreadable(let r): "cannot read the image: \(r)"
        case .tooBig(let limit): "image is larger than \(limit) bytes"
        case .http(let status): "image URL answered HTTP \(status)"
        case .network(let r): "fetching the image failed: \(r)"
        }
    }
}

/// Reads an item's image from a local path or an http(s) URL (timeout, size limit, retries).
public struct ImageLoader: Sendable {
    public var maxBytes = 50 << 20
    public var timeout: TimeInterval = 20
    public var retries = 2
    /// Local files outside it are never read.
    public var root = ImageRoot.configured

    public init() {}

    /// Size and modification time of a local file, without reading it.
    public static func stat(_ path: String) -> (size: Int, modified: Date)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.intValue,
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return (size, modified)
    }

    /// Reads the image; for a URL with known validators, nil means "not modified" (HTTP 304).
    public func load(_ uri: String, conditionalOn known: ImageValidators? = nil) throws(ImageLoadError) -> LoadedImage?
    {
        if uri.hasPrefix("http://") || uri.hasPrefix("https://") { return try fetch(uri, known: known) }
        if let root, !root.admits(uri) { throw .unreadable("\(uri) is outside the image root \(root.path)") }
        guard let info = Self.stat(uri) else { throw .missingFile(uri) }
        guard info.size <= maxBytes else { throw .tooBig(maxBytes) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: uri)) } catch {
            throw .unreadable("\(uri): \(error.localizedDescription)")
        }
        return LoadedImage(
            bytes: data, sha256: Self.sha256(data),
            validators: ImageValidators(fileSize: info.size, fileModified: info.modified))
    }

    public static func sha256(_ data: Data) -> [UInt8] { Array(SHA256.hash(data: data)) }

    private func fetch(_ uri: String, known: ImageValidators?) throws(ImageLoadError) -> LoadedImage? {
        guard let url = URL(string: uri) else { throw .network("bad URL \(uri)") }
        var lastError = ImageLoadError.network("not attempted")
        for attempt in 0...retries {
            if attempt > 0 { Thread.sleep(forTimeInterval: 0.5 * Double(1 << (attempt - 1))) }
            var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
            if let etag = known?.etag { request.setValue(etag, forHTTPHeaderField: "If-None-Match") }
            if let modified = known?.lastModified {
                request.setValue(modified, forHTTPHeaderField: "If-Modified-Since")
            }
            let (data, response, error) = Self.send(request)
            if let error {
                lastError = .network(error)
                continue
            }
            guard let http = response as? HTTPURLResponse else {
                lastError = .network("no HTTP response")
                continue
            }
            if http.statusCode == 304 { return nil }
            if http.statusCode >= 500 || http.statusCode == 429 {
                lastError = .http(http.statusCode)
                continue
            }
            guard (200..<300).contains(http.statusCode), let data else { throw .http(http.statusCode) }
            guard data.count <= maxBytes else { throw .tooBig(maxBytes) }
            return LoadedImage(
                bytes: data, sha256: Self.sha256(data),
                validators: ImageValidators(
                    etag: http.value(forHTTPHeaderField: "ETag"),
                    lastModified: http.value(forHTTPHeaderField: "Last-Modified")))
        }
        throw lastError
    }

    private static func send(_ request: URLRequest) -> (Data?, URLResponse?, String?) {
        final class Box: @unchecked Sendable { var value: (Data?, URLResponse?, String?) = (nil, nil, nil) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.value = (data, response, error.map { $0.localizedDescription })
            done.signal()
        }.resume()
        done.wait()
        return box.value
    }
}
