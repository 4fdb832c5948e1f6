import Catalog
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Keeps co-views fresh with nothing but `reco serve` running: every `interval` it runs
/// `reco coviews update` (with the options of the last rebuild). Replicas share the work through
/// PostgreSQL: the job's advisory lock lets one run at a time, and the others skip that round.
struct CoViewScheduler: Service {
    let database: Database
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await Periodic.run(every: interval, startNow: false) { await runOnce() }
    }

    func runOnce() async {
        var update = CoViewUpdate(database: database)
        update.waitForLock = false
        update.useStoredConfig = true
        do {
            let job = update
            let s = try await NIOThreadPool.singleton.runIfActive { try job.run() }
            guard !s.skipped, s.newEvents + s.skippedEvents > 0 || s.full else { return }
            logger.info(
                "co-views updated",
                metadata: [
                    "new_events": "\(s.newEvents)", "skipped_events": "\(s.skippedEvents)", "sessions": "\(s.sessions)",
                    "relisted": "\(s.relisted)", "full": "\(s.full)",
                    "seconds": "\(s.seconds.formatted(.number.precision(.fractionLength(2))))",
                ])
        } catch {
            logger.error("co-view update failed; the next round retries", metadata: ["error": "\(error)"])
        }
    }
}
