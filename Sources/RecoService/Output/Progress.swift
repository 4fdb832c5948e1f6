import Catalog
import Foundation
import Synchronization

/// Job progress on standard error: a redrawn bar on a terminal, a plain line every few seconds otherwise.
final class ProgressReporter: Sendable {
    private let label: String
    private let terminal = isatty(STDERR_FILENO) == 1
    private let lastLine = Mutex(Date.distantPast)

    init(label: String) { self.label = label }

    func update(_ s: EmbeddingJobSummary) {
        let done = s.embedded + s.failed
        let rate = s.seconds > 0 ? Double(done) / s.seconds : 0
        let eta = rate > 0 ? Double(max(0, s.total - done)) / rate : 0
        let figures = String(format: "%d/%d  %.1f images/s  ETA %.0fs  (%d failed)", done, s.total, rate, eta, s.failed)
        if terminal {
            let width = 30
            let filled = s.total > 0 ? min(width, width * done / s.total) : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(figures)\u{1B}[K".utf8))
        } else if lastLine.withLock({ last in
            guard Date().timeIntervalSince(last) >= 5 || (done == s.total && done > 0) else { return false }
            last = Date()
            return true
        }) {
            Console.err("\(label): \(figures)")
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
