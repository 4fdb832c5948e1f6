import Synchronization

/// Results arrive from worker threads in any order; this emits them in input order as soon as
/// every earlier one is in, so output streams without holding everything.
final class OrderedResults<Value: Sendable>: Sendable {
    private struct State {
        var next = 0
        var pending: [Int: Value] = [:]
    }
    private let state = Mutex(State())
    private let emit: @Sendable (Int, Value) -> Void

    init(emit: @escaping @Sendable (Int, Value) -> Void) { self.emit = emit }

    func add(_ index: Int, _ value: Value) {
        state.withLock { s in
            s.pending[index] = value
            while let ready = s.pending.removeValue(forKey: s.next) {
                emit(s.next, ready)
                s.next += 1
            }
        }
    }
}
