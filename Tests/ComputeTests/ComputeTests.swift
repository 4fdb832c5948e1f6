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

@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 7, 1000]) func everyTaskRunsOnceAndEachWorkerReturnsItsState(tasks: Int) {
        let states = Parallel.forEach(tasks: tasks, workers: 4, state: { [Int]() }) { done, task in done.append(task) }
        #expect(states.count == min(4, tasks))
        #expect(states.flatMap { $0 }.sorted() == Array(0..<tasks))
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
