import Compute
import Testing

@testable import Ranking

@Suite struct NeighbourTests {
    /// Deterministic pseudo-random unit vectors.
    static func vectors(_ n: Int, _ d: Int, seed: UInt64 = 7) -> VectorMatrix {
        var state = seed
        var values = [Float](repeating: 0, count: n * d)
        for i in 0..<n {
            var norm: Float = 0
            for j in 0..<d {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let v = Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
                values[i * d + j] = v
                norm += v * v
            }
            for j in 0..<d { values[i * d + j] /= norm.squareRoot() }
        }
        return VectorMatrix(dims: d, values: values)
    }

    /// The obvious O(n²) answer, in double precision.
    static func bruteForce(_ m: VectorMatrix, k: Int) -> [[Int32]] {
        (0..<m.count).map { i in
            let a = Array(m.row(i))
            let scored = (0..<m.count).filter { $0 != i }.map { j -> (Int32, Double) in
                let b = m.row(j)
                var dot = 0.0
                for (x, y) in zip(a, b) { dot += Double(x) * Double(y) }
                return (Int32(j), dot)
            }
            return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map(\.0)
        }
    }

    @Test(arguments: [(1, 1), (2, 7), (1, 64), (3, 13), (2, 1000)])
    func blockedEqualsBruteForce(workers: Int, block: Int) {
        let m = Self.vectors(150, 24)
        let exact = ExactNeighbours.compute(m, k: 10, workers: workers, block: block)
        #expect(exact.map { $0.map(\.index) } == Self.bruteForce(m, k: 10))
        #expect(exact.allSatisfy { list in zip(list, list.dropFirst()).allSatisfy { $0.score >= $1.score } })
    }

    @Test func neverItselfAndAtMostTheOthers() {
        let m = Self.vectors(5, 8)
        let exact = ExactNeighbours.compute(m, k: 100)
        for (i, list) in exact.enumerated() {
            #expect(list.count == 4 && !list.contains { $0.index == Int32(i) })
        }
        #expect(ExactNeighbours.compute(Self.vectors(1, 8), k: 5) == [[]])
    }

    @Test func duplicatesScoreOne() {
        var rows = (0..<4).map { Array(Self.vectors(4, 16).row($0)) }
        rows.append(rows[2])
        let exact = ExactNeighbours.compute(VectorMatrix(rows: rows), k: 1)
        #expect(exact[2].first?.index == 4 && exact[4].first?.index == 2)
        #expect(abs((exact[2].first?.score ?? 0) - 1) < 1e-5)
    }

    @Test func topKKeepsTheBestDeterministically() {
        var t = TopK(k: 3)
        for (s, i) in [(0.1, 1), (0.5, 2), (0.5, 3), (0.9, 4), (0.5, 0), (0.2, 5)] as [(Float, Int32)] {
            t.insert(s, i)
        }
        #expect(t.sorted().map(\.index) == [4, 0, 2])
    }
}

@Suite struct IncrementalNeighbourTests {
    /// Lists after changing `changed` rows and appending `added` new ones, incrementally, must
    /// equal a full rebuild of the new matrix.
    @Test(arguments: [(0, 3), (5, 0), (4, 4), (40, 10)])
    func incrementalEqualsFullRebuild(changedCount: Int, added: Int) {
        let n = 160
        let d = 16
        let k = 8
        let before = NeighbourTests.vectors(n, d, seed: 3)
        let old = ExactNeighbours.compute(before, k: k)
        let fresh = NeighbourTests.vectors(changedCount + added, d, seed: 99)
        var values = before.values
        // Changed rows move a lot (different seed): the hard case, lists lose them.
        for (i, row) in stride(from: 7, to: 7 + 3 * changedCount, by: 3).enumerated() {
            values.replaceSubrange((row * d)..<((row + 1) * d), with: fresh.row(i))
        }
        for i in changedCount..<(changedCount + added) { values += fresh.row(i) }
        let after = VectorMatrix(dims: d, values: values)
        let changed = Set(
            stride(from: 7, to: 7 + 3 * changedCount, by: 3).map(Int32.init) + (n..<(n + added)).map(Int32.init))
        let lists = old + Array(repeating: [], count: added)
        let updates = IncrementalNeighbours.update(after, changed: changed, lists: lists, k: k, workers: 2)
        let merged = lists.indices.map { updates[Int32($0)] ?? lists[$0] }
        let full = ExactNeighbours.compute(after, k: k)
        #expect(merged.map { $0.map(\.index) } == full.map { $0.map(\.index) })
        for (a, b) in zip(merged.joined(), full.joined()) { #expect(abs(a.score - b.score) < 1e-5) }
        // A few changes rewrite a few lists, not all of them.
        if changed.count <= 8 { #expect(updates.count < n + added) }
        #expect(Set(updates.keys).isSuperset(of: changed))
    }
}

@Suite struct ApproximateNeighbourTests {
    /// Searching every cell is an exhaustive search: the exact answer.
    @Test func probingEveryCellIsExact() {
        let m = NeighbourTests.vectors(300, 12, seed: 21)
        let exact = ExactNeighbours.compute(m, k: 10)
        var p = ApproximateNeighbours.Parameters(lists: 8, probes: 8)
        p.iterations = 3
        let approx = ApproximateNeighbours.compute(m, k: 10, parameters: p)
        #expect(approx.map { $0.map(\.index) } == exact.map { $0.map(\.index) })
        #expect(ApproximateNeighbours.recall(approx, exact: exact, at: 10) == 1)
    }

    /// Probing every cell, the approximate update is the exact one (a full recomputation's lists);
    /// probing a few on clustered vectors, it still finds nearly all of them, for the changed rows
    /// and for the rows that take them.
    @Test func theApproximateUpdateMatchesARecomputation() {
        let centres = NeighbourTests.vectors(30, 32, seed: 8)
        let noise = NeighbourTests.vectors(3000, 32, seed: 9)
        func clustered(_ i: Int, _ centre: Int) -> [Float] {
            let row = zip(centres.row(centre), noise.row(i)).map { $0 + 0.4 * $1 }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            return row.map { $0 / norm }
        }
        let before = VectorMatrix(rows: (0..<3000).map { clustered($0, $0 % 30) })
        let lists = ExactNeighbours.compute(before, k: 20)
        // 60 rows move to another cluster.
        let changed = Set((0..<60).map { Int32($0 * 50 + 7) })
        let after = VectorMatrix(
            rows: (0..<3000).map {
                changed.contains(Int32($0)) ? clustered(($0 + 1) % 3000, ($0 + 11) % 30) : Array(before.row($0))
            })
        let exact = ExactNeighbours.compute(after, k: 20)
        func apply(_ updates: [Int32: [Neighbour]]) -> [[Neighbour]] {
            lists.indices.map { updates[Int32($0)] ?? lists[$0] }
        }
        var every = ApproximateNeighbours.Parameters(lists: 10, probes: 10)
        every.iterations = 3
        let complete = apply(
            ApproximateNeighbours.update(after, changed: changed, lists: lists, k: 20, parameters: every))
        #expect(complete.map { $0.map(\.index) } == exact.map { $0.map(\.index) })

        let few = apply(
            ApproximateNeighbours.update(
                after, changed: changed, lists: lists, k: 20, parameters: .init(lists: 30, probes: 3)))
        let takers = exact.indices.filter { i in
            !changed.contains(Int32(i)) && exact[i].contains { changed.contains($0.index) }
        }
        let changedRecall = ApproximateNeighbours.recall(few, exact: exact, at: 20, rows: changed.map(Int.init))
        let takerRecall = ApproximateNeighbours.recall(few, exact: exact, at: 20, rows: takers)
        #expect(!takers.isEmpty && changedRecall >= 0.95 && takerRecall >= 0.95, "\(changedRecall) \(takerRecall)")
        #expect(ApproximateNeighbours.recall(few, exact: exact, at: 20) >= 0.99)
    }

    /// On clustered vectors (like image features), a few probes already find nearly everything,
    /// and recall grows with probes.
    @Test func recallGrowsWithProbes() {
        var state: UInt64 = 3
        func noise() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        let centres = (0..<20).map { _ in (0..<16).map { _ in noise() } }
        var values: [Float] = []
        for i in 0..<2000 {
            let v = centres[i % 20].map { $0 + 0.35 * noise() }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            values += v.map { $0 / norm }
        }
        let m = VectorMatrix(dims: 16, values: values)
        let exact = ExactNeighbours.compute(m, k: 20)
        let recalls = [1, 4, 12].map { probes in
            ApproximateNeighbours.recall(
                ApproximateNeighbours.compute(m, k: 20, parameters: .init(lists: 40, probes: probes)), exact: exact,
                at: 20)
        }
        #expect(recalls[0] < recalls[1] && recalls[1] <= recalls[2])
        #expect(recalls[2] >= 0.95)
    }
}

@Suite struct VectorSearchTests {
    @Test func searchEqualsBruteForceAndHonoursTheFilter() {
        let m = NeighbourTests.vectors(200, 16, seed: 8)
        let query: [Float] = Array(NeighbourTests.vectors(1, 16, seed: 77).row(0))
        var scored: [(index: Int32, score: Float)] = []
        for i in 0..<200 {
            var dot: Float = 0
            for (a, b) in zip(m.row(i), query) { dot += a * b }
            scored.append((Int32(i), dot))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        let best: [Int32] = VectorSearch.top(query, in: m, k: 5).map { $0.index }
        #expect(best == scored.prefix(5).map { $0.index })
        let even: [Int32] = VectorSearch.top(query, in: m, k: 5, accept: { $0 % 2 == 0 }).map { $0.index }
        #expect(even == scored.filter { $0.index % 2 == 0 }.prefix(5).map { $0.index })
    }

    /// The int8 scan re-ranked by exact scores returns what the exact scan returns, scores
    /// included, here on 3,000 crowded 256-d rows (many near ties), with and without a filter.
    @Test func int8ScanWithExactRerankEqualsTheExactSearch() {
        let m = NeighbourTests.vectors(3000, 256, seed: 21)
        let items = (0..<3000).map {
            ServingCatalog.Item(id: "i\($0)", facts: ItemFacts(category: $0 % 3 == 0 ? "a" : "b"))
        }
        let catalog = ServingCatalog(
            model: "m", items: items, imageNeighbours: [], coviewNeighbours: [], evidence: [],
            vectors: (m, (0..<3000).map(Int32.init)))
        for seed in UInt64(1)...5 {
            let query = Array(NeighbourTests.vectors(1, 256, seed: seed * 31).row(0))
            let exactScores: ExactScores = { found in
                Dictionary(uniqueKeysWithValues: found.map { ($0, zip(m.row(Int($0)), query).map(*).reduce(0, +)) })
            }
            for (category, accept) in [
                (ResultFilter<Int32>.Category.any, { (_: Int32) in true }), (.named("b"), { $0 % 3 != 0 }),
            ] {
                let exact = VectorSearch.top(query, in: m, k: 20, accept: accept)
                let filter = ResultFilter<Int32>(category: category, inStockOnly: false)
                let fast = catalog.search(query, filter: filter, limit: 20, exact: exactScores)
                #expect(fast.map(\.index) == exact.map(\.index))
                #expect(zip(fast, exact).allSatisfy { abs($0.score - $1.score) < 1e-5 })
                // Without the re-rank the int8 scores stand: nearly the same items, approximate scores.
                let approximate = catalog.search(query, filter: filter, limit: 20)
                #expect(Set(approximate.map(\.index)).intersection(exact.map(\.index)).count >= 18)
            }
        }
        // The approximate scores themselves are close (so the re-rank window is ample), also for a
        // width that is not a multiple of the kernel's 16 lanes (its tail loop).
        for (rows, dims) in [(m, 256), (NeighbourTests.vectors(500, 100, seed: 5), 100)] {
            let quantized = QuantizedVectors(rows)
            let query = Array(rows.row(7))
            var approximate = [Float](repeating: 0, count: rows.count)
            quantized.scores(query, into: &approximate, threads: 1)
            let worst = (0..<rows.count).map { i in abs(approximate[i] - zip(rows.row(i), query).map(*).reduce(0, +)) }
            #expect(worst.max()! < 0.01, "int8 score error \(worst.max()!) at \(dims) dims")
            // Split across threads, the scan gives the same scores in the same places.
            var split = [Float](repeating: -9, count: rows.count)
            quantized.scores(query, into: &split, threads: 3, rowsPerThread: 50)
            #expect(split == approximate)
            // Every kernel path this CPU runs sums the same integers: the same scores.
            let q = QuantizedVectors.Query(query)
            for isa in InstructionSet.allCases where isa.isSupported {
                var path = [Float](repeating: -9, count: rows.count)
                path.withUnsafeMutableBufferPointer {
                    quantized.scan(q, rows: 0..<rows.count, into: $0.baseAddress!, isa: isa)
                }
                #expect(path == approximate, "\(isa)")
            }
        }
    }
}

@Suite struct InvertedFileIndexTests {
    /// Clustered rows (as image features are): probing every cell is the exact search; a few
    /// probes find nearly all of the exact top 10; and probing goes on past the nearest cells
    /// when a filter leaves them short.
    /// Rows assigned by their int8 codes (int8 products on AVX-512 VNNI, float32 on the unscaled
    /// codes elsewhere) go to the float32 nearest centroid, or to one within int8 rounding of it.
    @Test func rowsAssignedByTheirCodesGoToTheNearestCell() {
        let m = NeighbourTests.vectors(3000, 256, seed: 5)
        let centroids = NeighbourTests.vectors(300, 256, seed: 6)
        let exact = KMeans.nearest(m, centroids: centroids, count: 1, workers: 2)
        let byCodes = KMeans.nearest(
            QuantizedVectors(m).codes(0..<m.count), centroids: centroids, count: 1, workers: 2, codes: true)
        var same = 0
        for r in 0..<m.count {
            if exact[r] == byCodes[r] { same += 1 }
            let cosines = centroids.cosines(Array(m.row(r)))
            #expect(cosines[Int(exact[r])] - cosines[Int(byCodes[r])] <= 0.01)
        }
        #expect(Double(same) / Double(m.count) >= 0.95, "\(same) of \(m.count) rows in the same cell")
    }

    @Test func probingFindsTheExactNeighboursAndNarrowFiltersFallBackToTheScan() {
        let centres = NeighbourTests.vectors(40, 64, seed: 3)
        let noise = NeighbourTests.vectors(4000, 64, seed: 4)
        var values: [Float] = []
        for i in 0..<4000 {
            var row = zip(centres.row(i % 40), noise.row(i)).map { $0 + 0.35 * $1 }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            row = row.map { $0 / norm }
            values += row
        }
        let m = VectorMatrix(dims: 64, values: values)
        let codes = QuantizedVectors(m)
        let everything = InvertedFileIndex(codes, parameters: ApproximateNeighbours.Parameters(lists: 40, probes: 40))
        let few = InvertedFileIndex(codes, parameters: ApproximateNeighbours.Parameters(lists: 40, probes: 3))
        var found = 0
        for q in 0..<20 {
            let query = Array(m.row(q * 97))
            let exact = VectorSearch.top(query, in: m, k: 10)
            var scan = [Float](repeating: 0, count: m.count)
            codes.scores(query, into: &scan, threads: 1)
            let int8Best = scan.indices.sorted { scan[$0] != scan[$1] ? scan[$0] > scan[$1] : $0 < $1 }.prefix(10)
            #expect(everything.top(query, in: codes, k: 10).map { Int($0.index) } == Array(int8Best))
            found += Set(few.top(query, in: codes, k: 10).map(\.index)).intersection(exact.map(\.index)).count
        }
        #expect(Double(found) / 200 >= 0.9, "recall@10 with 3 of 40 cells: \(Double(found) / 200)")

        // Through the serving catalog: an index from 1 vector on; a filter accepting 5 rows of
        // 4,000 (likely outside the nearest cells) still gets all 5: probing goes on until enough pass.
        let items = (0..<4000).map {
            ServingCatalog.Item(id: "i\($0)", facts: ItemFacts(category: $0 % 800 == 0 ? "rare" : "common"))
        }
        let catalog = ServingCatalog(
            model: "m", items: items, imageNeighbours: [], coviewNeighbours: [], evidence: [],
            vectors: (m, (0..<4000).map(Int32.init)), searchIndexAbove: 1)
        let rare = catalog.search(
            Array(m.row(1)), filter: ResultFilter(category: .named("rare"), inStockOnly: false), limit: 10)
        #expect(Set(rare.map(\.index)) == [0, 800, 1600, 2400, 3200])
        #expect(catalog.search(Array(m.row(1)), filter: ResultFilter(inStockOnly: false), limit: 10).first?.index == 1)
    }

    /// One photo listed under three items (the same content hash) is one search result, the best
    /// ranked, and the page is still full.
    @Test func searchCollapsesIdenticalImages() {
        let rows: [[Float]] = [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0.9, 0.1, 0], [0.8, 0.2, 0], [0, 1, 0]]
        let m = VectorMatrix(
            dims: 3,
            values: rows.flatMap { row in
                let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
                return row.map { $0 / norm }
            })
        let same: [UInt8] = [1, 2, 3]
        let items = (0..<6).map { i in
            ServingCatalog.Item(id: "i\(i)", facts: ItemFacts(category: "c", imageHash: i < 3 ? same : [UInt8(10 + i)]))
        }
        let catalog = ServingCatalog(
            model: "m", items: items, imageNeighbours: [], coviewNeighbours: [], evidence: [],
            vectors: (m, (0..<6).map(Int32.init)))
        let found = catalog.search([1, 0, 0], filter: ResultFilter(inStockOnly: false), limit: 3)
        #expect(found.map(\.index) == [0, 3, 4])
    }
}

@Suite struct FlatListsTests {
    @Test func builtInOrderEqualsBuiltFromNestedLists() {
        let nested: [[Int]] = [[1, 2], [], [3], [], []]
        var builder = FlatLists<Int>.Builder()
        for (item, list) in nested.enumerated() {
            for x in list {
                let appended = builder.append(x, to: item)
                #expect(appended)
            }
        }
        let built = builder.finish(count: 5)
        let converted = FlatLists(nested, count: 5)
        #expect(built.map(Array.init) == nested && converted.map(Array.init) == nested)
        #expect(built.count == 5 && built.elementCount == 3)
        let late = builder.append(9, to: 0)  // item 2 was started: item 0 comes too late
        #expect(!late)
        #expect(FlatLists<Int>.Builder().finish(count: 3).map(\.count) == [0, 0, 0])
    }
}
