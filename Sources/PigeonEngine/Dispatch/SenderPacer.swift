import Foundation
import PigeonCore
import Synchronization

/// Slows senders that Meta throttles (4, 80007, 130429): each throttle holds the sender for a backoff that
/// doubles from `initialHold` up to `maxHold`; each success after the hold halves it again, so the sender
/// resumes gradually. The hold is per process; the throttled message itself is requeued in the store.
public final class SenderPacer: Sendable {
    /// First hold after a throttle (default 1 s).
    public static let defaultInitialHold: Duration = .seconds(1)
    /// Longest hold (default 60 s).
    public static let defaultMaxHold: Duration = .seconds(60)

    private struct Pace {
        var hold: Duration
        var until: Date
    }
    private let initialHold: Duration
    private let maxHold: Duration
    private let paces = Mutex<[String: Pace]>([:])

    public init(initialHold: Duration = SenderPacer.defaultInitialHold, maxHold: Duration = SenderPacer.defaultMaxHold) {
        self.initialHold = initialHold
        self.maxHold = maxHold
    }

    /// Records a throttle on `sender` at `now`; returns when the sender may send again.
    @discardableResult
    public func throttled(_ sender: String, now: Date) -> Date {
        paces.withLock { paces in
            let hold: Duration
            if let current = paces[sender] {
                hold = min(current.hold * 2, maxHold)
            } else {
                hold = initialHold
            }
            let until = max(now.adding(hold), paces[sender]?.until ?? now)
            paces[sender] = Pace(hold: hold, until: until)
            return until
        }
    }

    /// Records a success on `sender`: after its hold has passed, the backoff halves, and is forgotten
    /// once it is back at the initial hold.
    public func succeeded(_ sender: String, now: Date) {
        paces.withLock { paces in
            guard var pace = paces[sender], pace.until <= now else { return }
            if pace.hold <= initialHold {
                paces[sender] = nil
            } else {
                pace.hold = pace.hold / 2
                paces[sender] = pace
            }
        }
    }

    /// Senders held at `now`.
    public func heldSenders(now: Date) -> Set<String> {
        paces.withLock { paces in Set(paces.filter { $0.value.until > now }.keys) }
    }

    /// The earliest time a held sender is released, if any is held at `now`.
    public func nextRelease(now: Date) -> Date? {
        paces.withLock { paces in paces.values.map(\.until).filter { $0 > now }.min() }
    }

    /// Holds in force at `now`, by sender, for stats.
    public func holds(now: Date) -> [String: Date] {
        paces.withLock { paces in paces.filter { $0.value.until > now }.mapValues(\.until) }
    }
}
