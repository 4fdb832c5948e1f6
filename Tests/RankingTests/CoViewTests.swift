import Foundation
import Testing

@testable import Ranking

/// Hand-checked: sessions {1,2,3}, {1,2}, {2,3}, {1,4}, all at `now` (weight 1).
/// c1 = 3, c2 = 3, c3 = 2, c4 = 1, N = 4; c12 = 2, c13 = 1, c23 = 2, c14 = 1; 9 item views.
@Suite struct CoViewTests {
    static let now = Date(timeIntervalSince1970: 1_764_000_000)

    static func counts(_ configure: (inout CoViewConfig) -> Void = { _ in }) -> CoViewCounts {
        var config = CoViewConfig()
        configure(&config)
        var c = CoViewCounts(config: config, asOf: now)
        for s in [[1, 2, 3], [1, 2], [2, 3], [1, 4]] as [[Int32]] { c.add(session: Set(s), lastViewedAt: now) }
        return c
    }

    @Test func rawCounts() {
        let c = Self.counts()
        #expect(c.sessions == 4 && c.views == 9)
        #expect(c.itemWeight == [0, 3, 3, 2, 1])
        #expect(c.pairWeight[CoViewCounts.key(2, 1)] == 2 && c.pairWeight[CoViewCounts.key(1, 3)] == 1)
        #expect(c.pairSessions[CoViewCounts.key(3, 2)] == 2)
    }

    @Test func eachNormalisation() {
        let c = Self.counts()
        #expect(abs(c.score(1, 2, method: .cosine) - 2.0 / 3.0) < 1e-12)
        #expect(abs(c.score(2, 3, method: .cosine) - 2 / 6.0.squareRoot()) < 1e-12)
        #expect(abs(c.score(1, 2, method: .jaccard) - 0.5) < 1e-12)
        #expect(abs(c.score(2, 3, method: .jaccard) - 2.0 / 3.0) < 1e-12)
        // lift = 2·4 / (3·3), shrunk by 2 / (2 + 5).
        #expect(abs(c.score(1, 2, method: .liftShrunk) - (8.0 / 9.0) * (2.0 / 7.0)) < 1e-12)
        // E_12 over item 1's sessions (lengths 3, 2, 2) with p_2 = 3/9: 1 − (2/3)² + 2·(1 − 2/3) = 11/9.
        #expect(abs(c.expected(1, 2) - 11.0 / 9.0) < 1e-12)
        #expect(abs(c.score(1, 2, method: .expected) - (2 - 11.0 / 9.0) / (11.0 / 9.0).squareRoot()) < 1e-12)
        // Not symmetric: E_21 uses item 2's sessions (3, 2, 2) and p_1 = 3/9: the same here, but
        // E_14 (item 1's sessions, p_4 = 1/9) differs from E_41 (item 4's one session of 2).
        #expect(abs(c.expected(1, 4) - ((1 - pow(8.0 / 9.0, 2)) + 2 * (1.0 / 9.0))) < 1e-12)
        #expect(abs(c.expected(4, 1) - 1.0 / 3.0) < 1e-12)
        #expect(c.score(1, 9) == 0)
    }

    @Test func timeDecayHalvesPerHalfLife() {
        var c = CoViewCounts(asOf: Self.now)
        c.add(session: [1, 2], lastViewedAt: Self.now.addingTimeInterval(-30 * 86_400))
        c.add(session: [1, 2], lastViewedAt: Self.now)
        #expect(abs(c.pairWeight[CoViewCounts.key(1, 2)]! - 1.5) < 1e-12)
        #expect(c.pairSessions[CoViewCounts.key(1, 2)] == 2)
        c.decay(to: Self.now.addingTimeInterval(30 * 86_400))
        #expect(abs(c.pairWeight[CoViewCounts.key(1, 2)]! - 0.75) < 1e-12)
        #expect(abs(c.sessions - 0.75) < 1e-12)
        // Adding after decay uses the new reference time.
        c.add(session: [1, 2], lastViewedAt: Self.now.addingTimeInterval(30 * 86_400))
        #expect(abs(c.pairWeight[CoViewCounts.key(1, 2)]! - 1.75) < 1e-12)
    }

    @Test func botSessionsAreIgnored() {
        var config = CoViewConfig()
        config.maxSessionItems = 3
        var c = CoViewCounts(config: config, asOf: Self.now)
        c.add(session: [1, 2, 3, 4], lastViewedAt: Self.now)
        c.add(session: [1, 2, 3], lastViewedAt: Self.now)
        #expect(c.botSessions == 1 && c.sessions == 1 && c.pairWeight.count == 3)
    }

    @Test func neighboursRespectSupportAndOrder() {
        let c = Self.counts()  // minSupport 2: only (1,2) and (2,3) survive
        let n = c.neighbours()
        #expect(n[1]?.map(\.item) == [2])
        #expect(n[2]?.map(\.item) == [3, 1])  // cosine 0.816 > 0.667
        #expect(n[2]?.map(\.sessions) == [2, 2])
        #expect(n[4] == nil)
        let loose = Self.counts {
            $0.minSupport = 1
            $0.topM = 2
        }.neighbours()
        #expect(loose[1]?.map(\.item) == [2, 4])  // 0.667, 0.577 > 0.408 (item 3)
    }

    @Test func sessionsAreGroupedFromAnOrderedEventStream() {
        var g = SessionGrouper(counts: CoViewCounts(asOf: Self.now))
        let t = Self.now
        for (s, i) in [("a", 1), ("a", 2), ("a", 1), ("b", 2), ("b", 3), ("c", 1)] as [(String, Int32)] {
            g.add(session: s, item: i, at: t)
        }
        g.flush()
        #expect(g.counts.sessions == 3)
        #expect(g.counts.pairWeight == [CoViewCounts.key(1, 2): 1, CoViewCounts.key(2, 3): 1])
        #expect(g.counts.itemWeight[1] == 2)  // viewed twice in session a: counted once
    }
}

@Suite struct CoViewDeltaTests {
    /// A session that grew, removed as it was and added as it is, leaves what counting it
    /// once as it is would.
    @Test func removingAndReAddingASessionEqualsCountingItOnce() {
        let t0 = CoViewTests.now
        let t1 = t0.addingTimeInterval(600)
        var grown = CoViewCounts(asOf: t1)
        grown.add(session: [1, 2], lastViewedAt: t0)
        grown.add(session: [1, 2, 3], lastViewedAt: t1)
        grown.add(session: [1, 2], lastViewedAt: t0, removing: true)
        var once = CoViewCounts(asOf: t1)
        once.add(session: [1, 2, 3], lastViewedAt: t1)
        #expect(abs(grown.sessions - once.sessions) < 1e-12)
        #expect(grown.itemSessions == once.itemSessions)
        #expect(grown.pairSessions == once.pairSessions)
        for (k, w) in once.pairWeight { #expect(abs(grown.pairWeight[k]! - w) < 1e-12) }
        #expect(abs(grown.expected(1, 3) - once.expected(1, 3)) < 1e-12)
    }
}
