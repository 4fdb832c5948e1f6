import Foundation
import Synchronization

/// How long a database call may take. Every connection sets PostgreSQL's `statement_timeout`
/// (the server cancels a slow statement and the connection stays usable), and a watchdog shuts
/// the socket of a call that gets no answer at all for longer (a frozen server or a dead network,
/// where libpq alone would wait forever).
public struct DatabaseTimeouts: Sendable, Equatable {
    /// Connecting, including the start-up exchange (libpq `connect_timeout`, whole seconds).
    public var connect: Duration
    /// PostgreSQL's `statement_timeout` on every statement.
    public var statement: Duration
    /// Extra time the client waits beyond `statement` before giving up on the server; while a COPY
    /// streams, each chunk renews it.
    public var grace: Duration

    public init(connect: Duration, statement: Duration, grace: Duration = .seconds(5)) {
        self.connect = connect
        self.statement = statement
        self.grace = grace
    }

    /// The service's own calls (ingest, version checks): a client is waiting.
    public static let interactive = DatabaseTimeouts(connect: .seconds(3), statement: .seconds(3), grace: .seconds(2))
    /// Jobs and snapshot loads: long set-based statements, up to an hour each (RECO_STATEMENT_TIMEOUT
    /// in seconds overrides it).
    public static var job: DatabaseTimeouts {
        let seconds = ProcessInfo.processInfo.environment["RECO_STATEMENT_TIMEOUT"].flatMap(Double.init) ?? 3600
        return DatabaseTimeouts(
            connect: .seconds(10), statement: .milliseconds(Int64(seconds * 1000)), grace: .seconds(15))
    }

    var connectSeconds: Int { max(2, Int((connect / .seconds(1)).rounded(.up))) }
    var statementMilliseconds: Int64 { Int64((statement / .milliseconds(1)).rounded(.up)) }
}

/// The watchdog behind `DatabaseTimeouts.grace`: one thread for the process checks the deadlines
/// of the calls in flight twice a second and shuts the socket of an overdue one, which makes the
/// blocked libpq call return with an error.
final class CallWatchdog: Sendable {
    static let shared = CallWatchdog()

    /// A call in flight: the deadline and what to do when it passes.
    final class Watch: Sendable {
        let deadline = Atomic<UInt64>(0)  // uptime nanoseconds; 0 = no call in flight
        let fired = Atomic<Bool>(false)
        let abort: @Sendable () -> Void
        init(abort: @escaping @Sendable () -> Void) { self.abort = abort }

        func arm(_ allowance: Duration) {
            fired.store(false, ordering: .relaxed)
            deadline.store(CallWatchdog.now() &+ UInt64(allowance / .nanoseconds(1)), ordering: .releasing)
        }

        func disarm() { deadline.store(0, ordering: .releasing) }
    }

    private let watches = Mutex<[ObjectIdentifier: Watch]>([:])
    private let started = Mutex(false)

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func register(_ watch: Watch) {
        watches.withLock { $0[ObjectIdentifier(watch)] = watch }
        started.withLock { running in
            guard !running else { return }
            running = true
            let thread = Thread { [self] in
                while true {
                    Thread.sleep(forTimeInterval: 0.25)
                    check()
                }
            }
            thread.name = "reco-db-watchdog"
            thread.start()
        }
    }

    /// Before the connection closes: under the lock, so an abort never touches a closed socket.
    func unregister(_ watch: Watch) { _ = watches.withLock { $0.removeValue(forKey: ObjectIdentifier(watch)) } }

    private func check() {
        let now = Self.now()
        watches.withLock { all in
            for watch in all.values {
                let deadline = watch.deadline.load(ordering: .acquiring)
                guard deadline != 0, now > deadline, !watch.fired.exchange(true, ordering: .acquiringAndReleasing)
                else {
                    continue
                }
                watch.abort()
            }
        }
    }
}
