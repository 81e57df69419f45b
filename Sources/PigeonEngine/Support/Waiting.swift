import Foundation
import PigeonCore

/// Waiting for the first of several wake-ups.
enum Waiting {
    /// Returns when `signal` is notified, `deadline` passes on `clock` (if given), or the task is cancelled.
    static func untilSignal(_ signal: WakeSignal, orDeadline deadline: Date?, clock: any PigeonClock) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            if let deadline {
                group.addTask { try? await clock.sleep(until: deadline) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
