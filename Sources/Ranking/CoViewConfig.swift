import Foundation

/// How co-views are counted and normalised.
public struct CoViewConfig: Sendable, Equatable {
    /// Stored co-view weights are expressed at this time: a session at t weighs
    /// 2^((t − epoch) / half-life), so weights stored at different times add up.
    public static let weightEpoch = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    /// Sessions with more distinct items than this are treated as bots and ignored.
    public var maxSessionItems = 200
    /// A session's weight halves every `halfLife` seconds of age (default 30 days).
    public var halfLife: TimeInterval = 30 * 86_400
    /// Pairs seen together in fewer sessions than this are dropped.
    public var minSupport = 2
    /// Co-view neighbours kept per item.
    public var topM = 100
    public var method: CoViewMethod = .cosine
    /// Shrinkage constant of `.liftShrunk`: lift · c_ab / (c_ab + shrinkage).
    public var liftShrinkage = 5.0

    public init() {}
}

/// How a pair's raw co-count is normalised against the items' popularity.
public enum CoViewMethod: String, Sendable, CaseIterable, Codable {
    /// c_ab / √(c_a · c_b)
    case cosine
    /// c_ab / (c_a + c_b − c_ab)
    case jaccard
    /// (c_ab · N / (c_a · c_b)) · c_ab / (c_ab + k): lift, shrunk towards 0 when evidence is thin.
    case liftShrunk = "lift"
    /// (c_ab − E_ab) / √E_ab, E_ab = Σ over sessions s viewing a of 1 − (1 − p_b)^(|s| − 1)
    /// (Linden & Smith 2017): co-views beyond what b's popularity and the sessions' lengths explain.
    case expected
}
