import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Runs a single-pass job every `interval` on `clock` until graceful shutdown (with `leadership`, only while
/// this process holds the lead); a failed pass is logged and tried again at the next interval.
public enum Periodic {
    public static func run(
        every interval: Duration, clock: any PigeonClock, logger: Logger, name: String, leadership: Leadership? = nil,
        wake: WakeSignal? = nil, _ pass: @escaping @Sendable (Date) async throws -> Void
    ) async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if await leadership?.leads() ?? true { try await pass(clock.now()) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("\(name) failed; will try again", metadata: ["error": "\(error)"])
                }
                if let wake {
                    await Waiting.untilSignal(wake, orDeadline: clock.now().adding(interval), clock: clock)
                } else {
                    try? await clock.sleep(until: clock.now().adding(interval))
                }
            }
        }
    }

    /// Runs `pass` (which handles at most `batchSize` items) until a pass handles fewer; returns the total.
    public static func drain(batchSize: Int, _ pass: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let handled = try await pass()
            total += handled
            if handled < batchSize { return total }
        }
    }
}
