import Foundation

/// The source of time for everything that schedules or waits. Tests inject `ManualClock`.
public protocol PigeonClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (or until cancelled, which throws).
    func sleep(until deadline: Date) async throws
}

/// The real wall clock.
public struct SystemClock: PigeonClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up)))) }
    }
}
