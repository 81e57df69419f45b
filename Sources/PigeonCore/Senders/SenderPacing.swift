import Foundation

/// How much a sender may still send, kept by the store per sender and shared by every process: the
/// rate ceiling's theoretical arrival time, the earliest next message after a web session's pause, and
/// the messages started on the current day of its daily cap.
public struct PaceState: Sendable, Hashable {
    /// When the next message is due under the rate ceiling (GCRA's theoretical arrival time).
    public var rateDueAt: Date?
    /// No message before this (the random pause after a web session's last message).
    public var pauseUntil: Date?
    /// The day `dayCount` counts, as `yyyy-MM-dd` in the sender's time zone.
    public var day: String?
    /// Attempts started on `day`.
    public var dayCount: Int

    public init(rateDueAt: Date? = nil, pauseUntil: Date? = nil, day: String? = nil, dayCount: Int = 0) {
        self.rateDueAt = rateDueAt
        self.pauseUntil = pauseUntil
        self.day = day
        self.dayCount = dayCount
    }
}

/// The pacing rules of senders, in one place: a rate ceiling as a generic cell rate algorithm (at most
/// `rateLimit` messages a second, in bursts of at most a quarter of a second's worth), a daily cap counted in the
/// sender's time zone (what is over it waits for the next day), and for web sessions one message at a time
/// with a random pause between two. Claims ask `allowance` before they take a sender's messages and record
/// what they took with `consume`, in the same transaction.
public struct SenderPacing: Sendable {
    /// The limits of each paced sender; senders not here are not paced (nothing is read or written for them).
    public var limits: [String: SenderLimits]
    /// Random values in 0..<1 for the pauses.
    public var random: @Sendable () -> Double

    /// The longest burst of the rate ceiling.
    public static let burstWindow: Duration = .milliseconds(250)

    public init(limits: [String: SenderLimits], random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.limits = limits.filter { $0.value.isPaced }
        self.random = random
    }

    /// Paces the senders of `records` by their limits.
    public init(_ records: [SenderRecord], random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.init(limits: Dictionary(records.map { ($0.id, $0.limits) }, uniquingKeysWith: { first, _ in first }), random: random)
    }

    /// How many messages `sender` may start at `now` given its `state` (`Int.max` when it is not paced).
    public func allowance(_ sender: String, _ state: PaceState, now: Date) -> Int {
        guard let limits = limits[sender] else { return .max }
        var allowed = Int.max
        if let rate = limits.rateLimit {
            let interval = 1 / rate
            let burst = max(1, Int((rate * Self.burstWindow.timeInterval).rounded(.down)))
            let due = max(state.rateDueAt ?? now, now)
            let ahead = due.timeIntervalSince(now)
            allowed = min(allowed, max(0, Int(((Double(burst - 1) * interval - ahead) / interval + 1e-9).rounded(.down)) + 1))
        }
        if let cap = limits.dailyCap {
            let count = state.day == Self.day(now, in: limits.timeZone) ? state.dayCount : 0
            allowed = min(allowed, max(0, cap - count))
        }
        if limits.delay != nil {
            allowed = (state.pauseUntil.map { $0 > now } ?? false) ? 0 : min(allowed, 1)
        }
        return allowed
    }

    /// `state` after `sender` started `count` messages at `now`.
    public func consume(_ sender: String, _ state: PaceState, count: Int, now: Date) -> PaceState {
        guard count > 0, let limits = limits[sender] else { return state }
        var next = state
        if let rate = limits.rateLimit {
            next.rateDueAt = max(state.rateDueAt ?? now, now).addingTimeInterval(Double(count) / rate)
        }
        let today = Self.day(now, in: limits.timeZone)
        next.dayCount = (state.day == today ? state.dayCount : 0) + count
        next.day = today
        if let delay = limits.delay {
            let span = (delay.max - delay.min).timeInterval
            next.pauseUntil = now.addingTimeInterval(delay.min.timeInterval + span * random())
        }
        return next
    }

    /// `state` after one message `sender` started was not sent after all: the day's count, the rate's slot
    /// and the pause are given back, so a held message costs the sender nothing.
    public func refund(_ sender: String, _ state: PaceState, now: Date) -> PaceState {
        guard let limits = limits[sender] else { return state }
        var next = state
        if let rate = limits.rateLimit, let due = state.rateDueAt { next.rateDueAt = due.addingTimeInterval(-1 / rate) }
        if state.day == Self.day(now, in: limits.timeZone) { next.dayCount = max(0, state.dayCount - 1) }
        if limits.delay != nil { next.pauseUntil = nil }
        return next
    }

    /// When `sender` may start a message again after `state` left it none at `now`, if that is known: the
    /// rate's next slot, the end of the pause, or the start of the next day in its time zone.
    public func nextAllowed(_ sender: String, _ state: PaceState, now: Date) -> Date? {
        guard let limits = limits[sender] else { return nil }
        var wake: [Date] = []
        if let rate = limits.rateLimit, let due = state.rateDueAt {
            let burst = max(1, Int((rate * Self.burstWindow.timeInterval).rounded(.down)))
            wake.append(due.addingTimeInterval(-Double(burst - 1) / rate))
        }
        if let until = state.pauseUntil { wake.append(until) }
        if let cap = limits.dailyCap, state.day == Self.day(now, in: limits.timeZone), state.dayCount >= cap {
            wake.append(Self.nextDayStart(after: now, in: limits.timeZone))
        }
        return wake.filter { $0 > now }.max()
    }

    /// Attempts `state` counts for the day of `now` in `timeZone` (zero once that day is over).
    public static func sentToday(_ state: PaceState?, now: Date, timeZone: String) -> Int {
        guard let state, state.day == day(now, in: timeZone) else { return 0 }
        return state.dayCount
    }

    /// `now`'s date in `timeZone` as `yyyy-MM-dd` (UTC when the zone is unknown).
    public static func day(_ now: Date, in timeZone: String) -> String { LocalCalendar(timeZone: timeZone).day(now) }

    /// The first instant of the day after `now`'s in `timeZone`.
    public static func nextDayStart(after now: Date, in timeZone: String) -> Date {
        LocalCalendar(timeZone: timeZone).nextDayStart(after: now)
    }
}

extension SenderLimits {
    /// Whether any limit applies (a rate ceiling, a daily cap or a pause between messages).
    public var isPaced: Bool { rateLimit != nil || dailyCap != nil || delay != nil }
}
