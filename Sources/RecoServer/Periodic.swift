import ServiceLifecycle

/// The loop of the service's background work (the refresher, the co-view schedule): `body` every
/// `interval` until a graceful shutdown, which also ends a sleep at once.
enum Periodic {
    static func run(every interval: Duration, startNow: Bool, _ body: () async -> Void) async {
        var wait = !startNow
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if wait {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            }
            wait = true
            await body()
        }
    }
}
