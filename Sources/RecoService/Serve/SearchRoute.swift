import Embedding
import Foundation
import Hummingbird
import NIOPosix
import Ranking
import Synchronization

/// `POST /search/image`: a photo as the body (image/jpeg or image/png) → the catalog items that
/// look most like it. The network and the scan run on a pool of their own with bounded
/// concurrency and a bounded queue (503 + Retry-After beyond it), never on the event loops, so
/// searches cannot starve `/similar`.
struct SearchRoute: Sendable {
    let state: ServingState
    /// nil when the model could not be loaded (searches answer 503 with the reason).
    let embedder: Embedder?
    let unavailable: String
    let pool: NIOThreadPool
    let concurrency: Int
    let queue: Int
    let maxImageBytes: Int
    private let admission = Admission()

    /// Searches admitted (running or waiting).
    final class Admission: Sendable {
        let count = Mutex(0)
    }

    init(state: ServingState, embedder: Embedder?, unavailable: String, concurrency: Int, queue: Int, maxImageBytes: Int) {
        self.state = state
        self.embedder = embedder
        self.unavailable = unavailable
        self.concurrency = concurrency
        self.queue = queue
        self.maxImageBytes = maxImageBytes
        self.pool = NIOThreadPool(numberOfThreads: concurrency)
        pool.start()
    }

    static let names: Set<String> = ["limit", "category", "in_stock", "min_score"]

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        var limit = 20, filter = ResultFilter<Int32>()
        do throws(SimilarParameters.Invalid) {
            for (name, value) in request.uri.queryParameters.map({ (String($0.key), String($0.value)) }) {
                switch name {
                case "limit": limit = try SimilarParameters.limit(value)
                case "category": filter.category = value.isEmpty ? .any : .named(value)
                case "in_stock": filter.inStockOnly = try SimilarParameters.inStock(value)
                case "min_score": filter.minScore = try SimilarParameters.minScore(value)
                default: throw SimilarParameters.unknown(name, known: Self.names)
                }
            }
        } catch {
            return JSONResponse.error(.badRequest, error.message)
        }
        // The type is checked before the body is read: a wrong upload is refused without reading it.
        let type = request.headers[.contentType] ?? ""
        if let refusal = UploadedImage.refusal(contentType: type) { return refusal.response }
        let body = try await request.body.collect(upTo: maxImageBytes)
        let data: Data
        switch Result(catching: { () throws(UploadedImage.Refusal) in try UploadedImage.extract(body: body, contentType: type) }) {
        case .success(let bytes): data = bytes
        case .failure(let refusal): return refusal.response
        }
        guard let embedder else { return JSONResponse.unavailable("search by image is unavailable: \(unavailable)", retryAfter: 60) }
        guard let snapshot = state.snapshot else { return JSONResponse.unavailable("the catalog is not loaded yet") }
        guard snapshot.catalog.model == embedder.modelIdentifier else {
            return JSONResponse.unavailable("the catalog's vectors are of model \(snapshot.catalog.model ?? "none"), the service runs \(embedder.modelIdentifier)", retryAfter: 60)
        }
        // Admission: at most `concurrency` running and `queue` waiting.
        let admittedNow = admission.count.withLock { n in
            guard n < concurrency + queue else { return false }
            n += 1
            return true
        }
        guard admittedNow else { return JSONResponse.unavailable("too many searches in progress", retryAfter: 1) }
        defer { admission.count.withLock { $0 -= 1 } }
        let catalog = snapshot.catalog, wanted = filter, count = limit
        let found: [ServingCatalog.ImageNeighbour]
        do {
            found = try await pool.runIfActive {
                catalog.search(try embedder.embed(data).vector, filter: wanted, limit: count)
            }
        } catch let error as ImageError {
            return JSONResponse.error(.unprocessableContent, "the image cannot be decoded: \(error)")
        }
        var out = "{\"model\":\(JSON.string(embedder.modelIdentifier)),\"results\":["
        for (i, n) in found.enumerated() {
            out += (i == 0 ? "" : ",") + "{\"item_id\":\(snapshot.jsonIDs[Int(n.index)]),\"score\":\(JSON.number(n.score))}"
        }
        return JSONResponse.ok(out + "]}")
    }
}

extension UploadedImage.Refusal {
    var response: Response {
        switch self {
        case .unsupportedType(let reason): JSONResponse.error(.unsupportedMediaType, reason)
        case .badForm(let reason): JSONResponse.error(.badRequest, reason)
        }
    }
}
