import Foundation

/// Runs `work` on a thread of its own and awaits it. The concurrency pool has one thread per core
/// (two in CI), and a test blocked there on a process or a pipe starves every other test's awaits:
/// a reply that arrived in milliseconds was seen 20 s later.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result(catching: work)) }.start()
    }
}
