import Testing

@testable import Ranking

@Suite struct BlendTests {
    let image: [(id: String, cosine: Float)] = [("A", 1.0), ("B", 0.9), ("C", 0.8)]
    let coview: [(id: String, score: Double, sessions: Int)] = [("C", 10, 5), ("D", 5, 3)]

    @Test func blendsWithConfidence() {
        // n = 20, k = 20 → c = 0.5; w = 0.5. B: 0.45; C: 0.4 + 0.25·1 = 0.65; D: 0.25·0.5 = 0.125.
        let r = Blender.blend(
            item: "A", image: image, coview: coview, evidence: 20,
            config: BlendConfig(imageWeight: 0.5, confidenceK: 20, pairK: 0))
        #expect(r.map(\.id) == ["C", "B", "D"])
        #expect(abs(r[0].score - 0.65) < 1e-6 && abs(r[1].score - 0.45) < 1e-6 && abs(r[2].score - 0.125) < 1e-9)
        #expect(r[0].coviewScore == 1 && r[0].coviewSessions == 5 && abs(r[0].imageScore! - 0.8) < 1e-6)
        #expect(r[2].imageScore == nil && r[2].coviewScore == 0.5)
        #expect(!r.contains { $0.id == "A" })
    }

    /// A co-view pair resting on few sessions is shrunk by s / (s + k): with k = 10, C (5 sessions,
    /// co-view 1) contributes 0.25·(5/15) ≈ 0.083 and no longer outranks B's image 0.45.
    @Test func thinPairsAreShrunk() {
        let r = Blender.blend(
            item: "A", image: image, coview: coview, evidence: 20,
            config: BlendConfig(imageWeight: 0.5, confidenceK: 20, pairK: 10))
        #expect(r.map(\.id) == ["C", "B", "D"])  // C 0.483 (0.65 without the shrink), B 0.45
        #expect(abs(r.first { $0.id == "C" }!.score - (0.4 + 0.25 * 5 / 15)) < 1e-6)
        #expect(abs(r.first { $0.id == "D" }!.score - 0.25 * 0.5 * 3 / 13) < 1e-9)
        #expect(abs(r.first { $0.id == "C" }!.coviewShrink - 1.0 / 3.0) < 1e-12)
        #expect(r.first { $0.id == "B" }!.coviewShrink == 1)
        let strong = Blender.blend(
            item: "A", image: [("B", 0.9)], coview: [("E", 1, 3)], evidence: 1_000,
            config: BlendConfig(imageWeight: 0.5, confidenceK: 20, pairK: 10))
        #expect(strong.map(\.id) == ["B", "E"])  // 0.45 against 0.5·0.98·1·(3/13) ≈ 0.11
    }

    @Test func littleEvidenceLeansOnTheImage() {
        let r = Blender.blend(
            item: "A", image: image, coview: coview, evidence: 0,
            config: BlendConfig(imageWeight: 0.5, confidenceK: 20, pairK: 0))
        #expect(r.map(\.id) == ["B", "C", "D"])  // 0.45, 0.40, 0
    }

    @Test func imageWeightIsOverridable() {
        let r = Blender.blend(
            item: "A", image: image, coview: coview, evidence: 1_000_000,
            config: BlendConfig(imageWeight: 0, confidenceK: 20, pairK: 0))
        #expect(r.map(\.id) == ["C", "D", "B"])
    }

    @Test func coldStartPaths() {
        let imageOnly = Blender.blend(item: "A", image: image, coview: [], evidence: 0, config: BlendConfig())
        #expect(imageOnly.map(\.id) == ["B", "C"] && abs(imageOnly[0].score - 0.9) < 1e-6)
        let coviewOnly = Blender.blend(item: "A", image: [], coview: coview, evidence: 1, config: BlendConfig(pairK: 0))
        #expect(coviewOnly.map(\.id) == ["C", "D"] && coviewOnly.map(\.score) == [1, 0.5])
        let fallback = Blender.fallback(item: "A", popular: [("A", 50), ("X", 30), ("Y", 20)])
        #expect(fallback.map(\.id) == ["X", "Y"] && fallback.allSatisfy(\.fallback))
        #expect(fallback.map(\.score) == [0.3, 0.2])
    }

    func results(_ ids: [String]) -> [BlendedResult<String>] {
        ids.enumerated().map {
            BlendedResult(
                id: $1, score: 1 - Double($0) * 0.1, imageScore: nil, coviewScore: nil, coviewSessions: 0,
                coviewShrink: 1,
                fallback: false)
        }
    }

    let facts: [String: ItemFacts] = [
        "A": ItemFacts(category: "shoes"),
        "B": ItemFacts(category: "shoes", imageHash: [1]),
        "C": ItemFacts(category: "bags"),
        "D": ItemFacts(category: "shoes", inStock: false),
        "E": ItemFacts(category: "shoes", active: false),
        "F": ItemFacts(category: "shoes", imageHash: [1]),
        "G": ItemFacts(category: "shoes"),
    ]

    @Test func everyFilter() {
        let all = results(["A", "B", "C", "D", "E", "F", "G", "Z"])
        func run(_ f: ResultFilter<String>, cosine: @escaping (String, String) -> Float? = { _, _ in nil }) -> [String]
        {
            f.apply(all, item: "A", facts: { facts[$0] }, imageCosine: cosine).map(\.id)
        }
        // Default: not itself, not unknown (Z), not inactive (E), in stock only (D), same image bytes (F after B).
        #expect(run(ResultFilter()) == ["B", "C", "G"])
        #expect(run(ResultFilter(inStockOnly: false)) == ["B", "C", "D", "G"])
        #expect(run(ResultFilter(category: .same)) == ["B", "G"])
        #expect(run(ResultFilter(category: .named("bags"))) == ["C"])
        #expect(run(ResultFilter(exclude: ["B", "C"])) == ["F", "G"])
        #expect(run(ResultFilter(minScore: 0.75)) == ["B", "C"])  // G scores 0.4
        // Near-duplicate by image cosine ≥ 0.995: G collapses into B (the better one).
        #expect(run(ResultFilter(), cosine: { a, b in Set([a, b]) == ["B", "G"] ? 0.997 : 0.5 }) == ["B", "C"])
        #expect(run(ResultFilter(), cosine: { a, b in Set([a, b]) == ["B", "G"] ? 0.99 : 0.5 }) == ["B", "C", "G"])
    }
}
