import Foundation
import Testing

@testable import PigeonCore

@Suite struct RetryPolicyTests {
    @Test func defaultScheduleIsFiveRetries() {
        let policy = RetryPolicy()
        #expect(policy.schedule == [.seconds(300), .seconds(900), .seconds(1800), .seconds(3600), .seconds(7200)])
        #expect(policy.defaultMaxAttempts == 6)
    }

    @Test func jitterStaysWithinTenPercent() {
        let policy = RetryPolicy(schedule: [.seconds(100)])
        #expect(policy.delay(afterAttempt: 1, random: 0) == .seconds(90))
        #expect(policy.delay(afterAttempt: 1, random: 0.5) == .seconds(100))
        #expect(abs(policy.delay(afterAttempt: 1, random: 0.999_999).timeInterval - 110) < 0.01)
    }

    @Test func attemptsPastTheScheduleReuseItsLastDelay() {
        let policy = RetryPolicy(schedule: [.milliseconds(500), .seconds(5)], jitter: 0)
        #expect(policy.delay(afterAttempt: 1, random: 0.3) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 2, random: 0.3) == .seconds(5))
        #expect(policy.delay(afterAttempt: 9, random: 0.3) == .seconds(5))
    }

    @Test func schedulesParseFromText() throws {
        #expect(try RetryPolicy.parseSchedule("500ms,5s,5m,1h") == [.milliseconds(500), .seconds(5), .seconds(300), .seconds(3600)])
        #expect(try RetryPolicy.parseSchedule(" 1d , 2m ") == [.seconds(86400), .seconds(120)])
        #expect(try RetryPolicy.parseSchedule("1.5s") == [.milliseconds(1500)])
        for bad in ["", "5", "5x", "-1s", "0s", "5s,,1m", "ms", "nan s"] {
            #expect(throws: DurationParser.Failure.self, "\(bad)") { try RetryPolicy.parseSchedule(bad) }
        }
    }

    @Test func pairBackoffIsFourToTheXCapped() {
        #expect((0...3).map { PairBackoff.delay(level: $0) } == [.seconds(1), .seconds(4), .seconds(16), .seconds(64)])
        #expect(PairBackoff.delay(level: 99) == PairBackoff.delay(level: PairBackoff.maxExponent))
    }

    @Test func manualClockWakesSleepersOnlyWhenTimeReachesThem() async throws {
        let clock = ManualClock()
        let deadline = clock.now().adding(.seconds(10))
        let task = Task { try await clock.sleep(until: deadline) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(9))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await task.value
        #expect(clock.sleeperCount == 0)
    }

    @Test func messageIDsAreWellFormedAndTimeOrdered() {
        let early = MessageID.generate(now: Date(timeIntervalSince1970: 1_800_000_000))
        let late = MessageID.generate(now: Date(timeIntervalSince1970: 1_800_000_001))
        #expect(MessageID.isWellFormed(early.rawValue))
        #expect(early.rawValue < late.rawValue)
        #expect(!MessageID.isWellFormed("msg_short"))
        #expect(!MessageID.isWellFormed("xyz_01M84Y9705QVX80B3DNA48DCDS"))
    }
}
