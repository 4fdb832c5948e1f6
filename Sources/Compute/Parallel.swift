import Dispatch
import Foundation
import Synchronization

/// The parallel loops of reco, one place for the work-queue pattern: a few worker threads, each
/// taking the next undone task, so uneven tasks still balance across cores.
public enum Parallel {
    /// Runs `body(&state, task)` for every task in `0..<tasks` on up to `workers` threads. Each
    /// worker makes its own state with `makeState` (scratch buffers, partial results) on its thread;
    /// the states of the workers that ran are returned for the caller to merge.
    public static func forEach<State>(
        tasks: Int, workers: Int, state makeState: () -> State, _ body: (inout State, Int) -> Void
    ) -> [State] {
        guard tasks > 0 else { return [] }
        let count = max(1, min(workers, tasks))
        let next = Atomic(0)
        // One slot per worker, written only by that worker; concurrentPerform returns after all.
        let slots = UnsafeMutableBufferPointer<State?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        // The closures run on worker threads while this call waits: nothing escapes it.
        withoutActuallyEscaping(makeState) { makeState in
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let (makeState, body, slots) = (makeState, body, slots)
                DispatchQueue.concurrentPerform(iterations: count) { worker in
                    var state = makeState()
                    while true {
                        let task = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if task >= tasks { break }
                        body(&state, task)
                    }
                    slots[worker] = state
                }
            }
        }
        let states = slots.compactMap { $0 }
        slots.deinitialize()
        return states
    }

    /// Runs `body(task)` for every task in `0..<tasks` on up to `workers` threads.
    public static func forEach(tasks: Int, workers: Int, _ body: (Int) -> Void) {
        _ = forEach(tasks: tasks, workers: workers, state: {}) { _, task in body(task) }
    }

    /// Runs `body(lane)` on `lanes` threads at once and returns when all have: for workers that claim
    /// their own work (from a database queue, say) until there is none.
    public static func lanes(_ lanes: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: max(1, lanes)) { body($0) }
        }
    }

    /// Runs `first` on this thread and `second` on a thread of its own, and returns both results once
    /// both have finished (the first error if either threw): two long, independent jobs, each free
    /// to use `forEach` inside (a lane of `lanes` is a Dispatch worker, where a nested
    /// concurrentPerform may run narrower).
    public static func both<A, B: Sendable>(
        _ first: () throws -> A, _ second: @escaping @Sendable () throws -> B
    ) throws -> (A, B) {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<B, any Error>?>(nil)
        let thread = Thread {
            let r = Result { try second() }
            result.withLock { $0 = r }
            done.signal()
        }
        thread.start()
        let a = Result { try first() }
        done.wait()
        return (try a.get(), try result.withLock { $0! }.get())
    }
}
