import Catalog
import Compute
import Embedding
import Foundation
import Hummingbird
import Logging
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
    let closeMatch: CloseMatch
    let rerank: Rerank?
    private let admission = Admission()

    /// Where the exact re-rank reads the candidates' vectors, and who hears when it cannot.
    struct Rerank: Sendable {
        let scores: StoredVectorScores
        let metrics: ServiceMetrics
        let logger: Logger

        func exact(_ query: [Float], catalog: ServingCatalog) -> ExactScores {
            scores.exactScores(query, catalog: catalog) { [metrics, logger] error in
                metrics.rerankFailed()
                logger.warning("search answered with int8 scores", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Searches admitted (running or waiting).
    final class Admission: Sendable {
        let count = Mutex(0)
    }

    init(
        state: ServingState, embedder: Embedder?, unavailable: String, concurrency: Int, queue: Int, maxImageBytes: Int,
        closeMatch: CloseMatch = CloseMatch(), rerank: Rerank? = nil
    ) {
        self.closeMatch = closeMatch
        self.rerank = rerank
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

    /// What a search came to: items of a snapshot, or a refusal with its status and reason.
    enum Outcome {
        case found(ServingState.Snapshot, model: String, [Neighbour])
        case refused(HTTPResponse.Status, String, retryAfter: Int? = nil)
    }

    /// `POST /search/image`: the outcome as JSON.
    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        switch try await search(request) {
        case .refused(let status, let message, let retryAfter):
            return JSONResponse.error(status, message, headers: retryAfter.map { [.retryAfter: "\($0)"] } ?? [:])
        case .found(let snapshot, let model, let found):
            return JSONResponse.encoded(
                SearchAnswer(
                    model: model, closeMatch: closeMatch.isClose(bestScore: found.first?.score),
                    results: found.map { .init(itemId: snapshot.catalog.item($0.index).id, score: $0.score) }))
        }
    }

    /// Parameters, upload, admission, then decode + embed + rank on the search pool.
    func search(_ request: Request) async throws -> Outcome {
        var limit = 20
        var filter = ResultFilter<Int32>()
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
            return .refused(.badRequest, error.message)
        }
        // The type is checked before the body is read: a wrong upload is refused without reading it.
        let type = request.headers[.contentType] ?? ""
        if let refusal = UploadedImage.refusal(contentType: type) { return refusal.outcome }
        let body = try await request.body.collect(upTo: maxImageBytes)
        let data: Data
        switch Result(catching: { () throws(UploadedImage.Refusal) in
            try UploadedImage.extract(body: body, contentType: type)
        }) {
        case .success(let bytes): data = bytes
        case .failure(let refusal): return refusal.outcome
        }
        guard let embedder else {
            return .refused(.serviceUnavailable, "search by image is unavailable: \(unavailable)", retryAfter: 60)
        }
        guard let snapshot = state.snapshot else {
            return .refused(.serviceUnavailable, "the catalog is not loaded yet", retryAfter: 5)
        }
        guard snapshot.catalog.model == embedder.modelIdentifier else {
            return .refused(
                .serviceUnavailable,
                "the catalog's vectors are of model \(snapshot.catalog.model ?? "none"), "
                    + "the service runs \(embedder.modelIdentifier)",
                retryAfter: 60)
        }
        // Admission: at most `concurrency` running and `queue` waiting.
        let admittedNow = admission.count.withLock { n in
            guard n < concurrency + queue else { return false }
            n += 1
            return true
        }
        guard admittedNow else { return .refused(.serviceUnavailable, "too many searches in progress", retryAfter: 1) }
        defer { admission.count.withLock { $0 -= 1 } }
        let catalog = snapshot.catalog
        let wanted = filter
        let count = limit
        let rerank = self.rerank
        do {
            let found = try await pool.runIfActive {
                let query = try embedder.embed(data, threads: ForkJoin.shared.width).vector
                return catalog.search(
                    query, filter: wanted, limit: count, exact: rerank?.exact(query, catalog: catalog))
            }
            return .found(snapshot, model: embedder.modelIdentifier, found)
        } catch let error as ImageError {
            return .refused(.unprocessableContent, "the image cannot be decoded: \(error)")
        }
    }
}

extension UploadedImage.Refusal {
    var outcome: SearchRoute.Outcome {
        switch self {
        case .unsupportedType(let reason): .refused(.unsupportedMediaType, reason)
        case .badForm(let reason): .refused(.badRequest, reason)
        }
    }
}

/// The answer of `POST /search/image`.
struct SearchAnswer: Encodable {
    struct Result: Encodable {
        let itemId: String
        let score: Float
    }

    let model: String
    let closeMatch: Bool
    let results: [Result]
}
