import Foundation

/// When to try again after a failed attempt: a schedule of delays with ±jitter, as a pure value.
///
/// Delay `n` (1-based) follows counted attempt `n`; attempts past the schedule's end reuse its last delay.
/// The default budget is the schedule's length plus the first attempt.
public struct RetryPolicy: Sendable, Hashable {
    /// Delays between attempts, in order.
    public var schedule: [Duration]
    /// Relative jitter applied to each delay: 0.1 means ±10 %.
    public var jitter: Double

    /// Pigeon's default schedule: 5m, 15m, 30m, 1h, 2h (five retries after the first attempt).
    public static let defaultSchedule: [Duration] = [.seconds(300), .seconds(900), .seconds(1800), .seconds(3600), .seconds(7200)]
    /// Default jitter: ±10 %.
    public static let defaultJitter = 0.1

    public init(schedule: [Duration] = RetryPolicy.defaultSchedule, jitter: Double = RetryPolicy.defaultJitter) {
        precondition(!schedule.isEmpty, "a retry schedule needs at least one delay")
        self.schedule = schedule
        self.jitter = jitter
    }

    /// The attempt budget for messages without their own `max_attempts`: the first attempt plus one per delay.
    public var defaultMaxAttempts: Int { schedule.count + 1 }

    /// The delay after counted attempt `attempt` (1-based), before jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        schedule[min(max(attempt, 1), schedule.count) - 1]
    }

    /// The delay after counted attempt `attempt`, with jitter drawn from `random` (a value in 0..<1).
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let base = baseDelay(afterAttempt: attempt)
        let factor = 1 + jitter * (2 * random - 1)
        return base * factor
    }

    /// Parses a schedule such as `500ms,5s,5m,1h`.
    public static func parseSchedule(_ text: String) throws -> [Duration] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw DurationParser.Failure(text: text)
        }
        return try parts.map { try DurationParser.parse($0) }
    }
}
