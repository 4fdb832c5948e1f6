import Foundation
import Synchronization
import Testing

@testable import Compute

@Suite struct BLASTests {
    /// Small matrices checked against the schoolbook products.
    let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2×3
    let b: [Float] = [7, 8, 9, 10, 11, 12]  // 3×2 for A·B, or 2×3 for A·Bᵀ

    @Test func productsMatchTheSchoolbook() {
        var c: [Float] = [1, 1, 1, 1]
        BLAS.multiplyAccumulating(a, b, into: &c, m: 2, n: 2, k: 3)
        #expect(c == [59, 65, 140, 155] as [Float])
        var t = [Float](repeating: -1, count: 4)
        BLAS.multiplyTransposed(a, b, into: &t, m: 2, n: 2, k: 3)
        #expect(t == [50, 68, 122, 167])
        var y = [Float](repeating: -1, count: 2)
        BLAS.multiply(a, rows: 2, columns: 3, by: [1, 0, -1], into: &y)
        #expect(y == [-2, -2])
        #expect(BLAS.dot(a, b, count: 3) == 50)
        #expect(BLAS.threads == 1)
    }
}

@Suite struct PackedMatrixTests {
    /// Random products against OpenBLAS on every path this CPU runs: shapes with whole and half
    /// tail panels, one row, rows past a row block, and a matrix large enough to be split into
    /// panel groups (1,280 × 4,000 = 20 MB), plain and transposed, with bias and each epilogue.
    @Test(arguments: InstructionSet.allCases.filter(\.isSupported))
    func productsMatchOpenBLAS(isa: InstructionSet) {
        var rng = SystemRandomNumberGenerator()
        for (m, k, n) in [(1, 3, 5), (15, 24, 40), (29, 64, 17), (37, 1280, 4000)] {
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let rowsOf = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            var expected = [Float](repeating: 0, count: m * n)
            BLAS.multiplyTransposed(a, rowsOf, into: &expected, m: m, n: n, k: k)
            var matrix = [Float](repeating: 0, count: k * n)
            for j in 0..<n { for q in 0..<k { matrix[q * n + j] = rowsOf[j * k + q] } }
            let transposed = rowsOf.withUnsafeBufferPointer {
                PackedMatrix($0, transposed: true, rows: k, columns: n, isa: isa)
            }
            let plain = matrix.withUnsafeBufferPointer { PackedMatrix($0, bias: bias, rows: k, columns: n, isa: isa) }
            let residual = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
            let tolerance = Float(k) * 2e-6
            func product(_ p: PackedMatrix, _ epilogue: PackedMatrix.Epilogue) -> [Float] {
                var out = [Float](repeating: .nan, count: m * n)
                p.multiply(a, count: m, into: &out, epilogue)
                return out
            }
            let linear = product(transposed, .linear)
            #expect(zip(linear, expected).allSatisfy { abs($0 - $1) <= tolerance }, "\(m)×\(k)×\(n)")
            let relu6 = product(plain, .relu6)
            let withResidual = residual.withUnsafeBufferPointer { product(plain, .residual($0.baseAddress!)) }
            for i in 0..<(m * n) {
                let sum = expected[i] + bias[i % n]
                #expect(abs(relu6[i] - min(max(sum, 0), 6)) <= tolerance)
                #expect(abs(withResidual[i] - (sum + residual[i])) <= tolerance)
            }
        }
    }
}

@Suite struct PackedInt8MatrixTests {
    /// Whole numbers within ±127, every column reaching 127 (so its int8 scale is exactly 1), times
    /// integer inputs at zero point 128: the int8 product is exact on every path, plain and
    /// transposed, against OpenBLAS (sums stay below 2²⁴, exact in float32 too).
    @Test(arguments: InstructionSet.allCases.filter(\.isSupported))
    func integerProductsAreExact(isa: InstructionSet) {
        var rng = SystemRandomNumberGenerator()
        for (m, k, n) in [(1, 4, 3), (19, 61, 40), (37, 256, 4000)] {
            let a = (0..<(m * k)).map { _ in Float(Int.random(in: -127...127, using: &rng)) }
            var rowsOf = (0..<(n * k)).map { _ in Float(Int.random(in: -127...127, using: &rng)) }
            for j in 0..<n { rowsOf[j * k + (j % k)] = 127 }
            var expected = [Float](repeating: 0, count: m * n)
            BLAS.multiplyTransposed(a, rowsOf, into: &expected, m: m, n: n, k: k)
            var matrix = [Float](repeating: 0, count: k * n)
            for j in 0..<n { for q in 0..<k { matrix[q * n + j] = rowsOf[j * k + q] } }
            for packed in [
                matrix.withUnsafeBufferPointer { PackedInt8Matrix($0, rows: k, columns: n, isa: isa) },
                rowsOf.withUnsafeBufferPointer {
                    PackedInt8Matrix($0, transposed: true, rows: k, columns: n, isa: isa)
                },
            ] {
                var out = [Float](repeating: .nan, count: m * n)
                packed.multiply(a, count: m, inputScale: 1, inputZero: 128, into: &out)
                #expect(out == expected, "\(isa) \(m)×\(k)×\(n)")
            }
        }
    }
}

@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 7, 1000]) func everyTaskRunsOnceAndEachWorkerReturnsItsState(tasks: Int) {
        let states = Parallel.forEach(tasks: tasks, workers: 4, state: { [Int]() }) { done, task in done.append(task) }
        #expect(states.count == min(4, tasks))
        #expect(states.flatMap { $0 }.sorted() == Array(0..<tasks))
    }

    @Test func bothRunAtOnceAndEitherErrorComesBack() throws {
        // Each side waits for the other's signal: only concurrent runs get both within the timeout.
        let (toSecond, toFirst) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let (a, b) = try Parallel.both {
            toSecond.signal()
            return toFirst.wait(timeout: .now() + 10) == .success
        } _: {
            let met = toSecond.wait(timeout: .now() + 10) == .success
            toFirst.signal()
            return met
        }
        #expect(a && b)
        struct Failed: Error {}
        #expect(throws: Failed.self) { try Parallel.both({ 1 }, { () throws -> Int in throw Failed() }) }
        #expect(throws: Failed.self) { try Parallel.both({ () throws -> Int in throw Failed() }, { 1 }) }
    }

    @Test func lanesAllRun() {
        let seen = Mutex(Set<Int>())
        Parallel.lanes(3) { lane in _ = seen.withLock { $0.insert(lane) } }
        #expect(seen.withLock { $0 } == [0, 1, 2])
    }
}

@Suite struct ForkJoinTests {
    @Test(arguments: [1, 2, 3, 9]) func everyPartRunsOnceAndTheCallReturnsAfterAll(parts: Int) {
        let pool = ForkJoin(helpers: 2)
        for _ in 0..<200 {  // many jobs in a row: helpers spinning, and sleeping in between some
            let counts = Mutex([Int](repeating: 0, count: parts))
            pool.run(parts) { part in counts.withLock { $0[part] += 1 } }
            #expect(counts.withLock { $0 } == [Int](repeating: 1, count: parts))
        }
        Thread.sleep(forTimeInterval: 0.001)  // past the helpers' spin: they wake from sleep
        let counts = Mutex([Int](repeating: 0, count: parts))
        pool.run(parts) { part in counts.withLock { $0[part] += 1 } }
        #expect(counts.withLock { $0 } == [Int](repeating: 1, count: parts))
    }

    @Test func callersAtOnceAndNestedCallsAllFinish() {
        // One job at a time: the others, and a job started from inside a part, run their parts inline.
        let pool = ForkJoin(helpers: 1)
        let total = Atomic(0)
        Parallel.forEach(tasks: 64, workers: 4) { _ in
            pool.run(3) { _ in
                pool.run(2) { _ in total.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        #expect(total.load(ordering: .relaxed) == 64 * 3 * 2)
    }
}
