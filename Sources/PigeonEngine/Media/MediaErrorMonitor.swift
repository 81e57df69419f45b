import Foundation
import Logging
import PigeonCore
import Synchronization

/// Counts sends and media errors (answered at once or reported by webhook) per minute over the last hour,
/// in this process, and logs a warning when media errors pass 10 % of sends: broken uploads, wrong MIME
/// types or a failing media host show up before a campaign burns through its recipients.
public final class MediaErrorMonitor: Sendable {
    /// The share of sends above which a warning is logged.
    public static let warningRate = 0.10
    /// Fewer sends than this in the hour never warn.
    public static let minimumSends = 20
    /// The warning repeats at most this often.
    static let warningInterval: TimeInterval = 600

    private struct State {
        var minutes: [Int64: (sends: Int, mediaErrors: Int)] = [:]
        var lastWarning: Date?
    }

    private let state = Mutex(State())
    let clock: any PigeonClock
    let logger: Logger

    public init(clock: any PigeonClock, logger: Logger) {
        self.clock = clock
        self.logger = logger
    }

    /// Counts one send at `now`, and whether Meta answered it with a media error.
    public func recordSend(mediaError: Bool, now: Date) {
        add(sends: 1, mediaErrors: mediaError ? 1 : 0, now: now)
    }

    /// Counts a media error Meta reported later, by webhook, for a send already counted.
    public func recordReportedMediaError(now: Date) {
        add(sends: 0, mediaErrors: 1, now: now)
    }

    /// Sends and media errors in the last hour.
    public func lastHour() -> (sends: Int, mediaErrors: Int) {
        let now = clock.now()
        return state.withLock { state in Self.total(state, now: now) }
    }

    private func add(sends: Int, mediaErrors: Int, now: Date) {
        let warning: (sends: Int, mediaErrors: Int)? = state.withLock { state in
            let minute = Int64(now.timeIntervalSince1970 / 60)
            let current = state.minutes[minute] ?? (0, 0)
            state.minutes[minute] = (current.sends + sends, current.mediaErrors + mediaErrors)
            if state.minutes.count > 90 { state.minutes = state.minutes.filter { $0.key > minute - 60 } }
            guard mediaErrors > 0 else { return nil }
            let hour = Self.total(state, now: now)
            guard hour.sends >= Self.minimumSends, Double(hour.mediaErrors) > Double(hour.sends) * Self.warningRate else { return nil }
            if let last = state.lastWarning, now.timeIntervalSince(last) < Self.warningInterval { return nil }
            state.lastWarning = now
            return hour
        }
        if let warning {
            logger.warning(
                "media errors are above 10% of sends over the last hour: check uploaded assets, MIME types and media hosts",
                metadata: ["sends": "\(warning.sends)", "media_errors": "\(warning.mediaErrors)"])
        }
    }

    private static func total(_ state: State, now: Date) -> (sends: Int, mediaErrors: Int) {
        let minute = Int64(now.timeIntervalSince1970 / 60)
        return state.minutes.filter { $0.key > minute - 60 }.values.reduce((0, 0)) { ($0.0 + $1.sends, $0.1 + $1.mediaErrors) }
    }
}
