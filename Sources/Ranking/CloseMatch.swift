/// Whether a search by image found anything close: its best cosine reaches the threshold. The
/// feature vectors are non-negative, so unrelated photos still score 0.1–0.6 and a search always
/// has a "best" result; this says when that best is not a real match. 0.6 is measured
/// (ops/eval/close-match, docs/EVALUATION.md): it separates queries whose nearest item is of their
/// kind from queries of another domain with a balanced accuracy of 0.91.
public struct CloseMatch: Sendable, Equatable {
    public var threshold: Float

    public init(threshold: Float = 0.6) {
        self.threshold = threshold
    }

    /// `bestScore`: the first result's cosine; no results is never close.
    public func isClose(bestScore: Float?) -> Bool {
        guard let bestScore else { return false }
        return bestScore >= threshold
    }
}
