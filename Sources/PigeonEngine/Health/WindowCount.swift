import Foundation
import PigeonCore
import Synchronization

/// Counts events of one kind in a sliding window of time (such as webhooks refused for a wrong signature in
/// the last five minutes), for the alert monitor. Per process; keeps at most `cap` times.
public final class WindowCount: Sendable {
    private let times = Mutex<[Date]>([])
    let window: TimeInterval
    let cap: Int
    let clock: any PigeonClock

    public init(window: TimeInterval, clock: any PigeonClock, cap: Int = 10_000) {
        self.window = window
        self.clock = clock
        self.cap = cap
    }

    /// One event, now.
    public func record() {
        let now = clock.now()
        times.withLock { times in
            times.append(now)
            if times.count > cap { times.removeFirst(times.count - cap) }
        }
    }

    /// Events in the window ending at `now`.
    public func count(_ now: Date) -> Int {
        times.withLock { times in
            times.removeAll { $0 <= now.addingTimeInterval(-window) }
            return times.count
        }
    }
}
