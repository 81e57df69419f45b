import Foundation
import PigeonCore
import Testing

/// The pacing rules: a rate ceiling in bursts of a quarter second, a daily cap counted in the sender's time
/// zone, one message at a time with a random pause for web sessions, and senders without limits untouched.
@Suite struct SenderPacingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15 08:00:00 UTC

    func pacing(_ limits: SenderLimits, random: Double = 0.5) -> SenderPacing {
        SenderPacing(limits: ["s": limits], random: { random })
    }

    @Test func theRateCeilingAllowsAQuarterSecondBurstThenOneSlotPerInterval() {
        let paced = pacing(SenderLimits(rateLimit: 80, dailyCap: nil))
        var state = PaceState()
        #expect(paced.allowance("s", state, now: t0) == 20)
        state = paced.consume("s", state, count: 20, now: t0)
        #expect(paced.allowance("s", state, now: t0) == 0)
        #expect(paced.allowance("s", state, now: t0.addingTimeInterval(0.0124)) == 0)
        #expect(paced.allowance("s", state, now: t0.addingTimeInterval(0.0125)) == 1)
        #expect(paced.allowance("s", state, now: t0.addingTimeInterval(0.1)) == 8)
        #expect(paced.nextAllowed("s", state, now: t0) == t0.addingTimeInterval(0.0125))
        // Over 30 s of claims every 100 ms, the ceiling holds within the first burst.
        var sent = 0
        state = PaceState()
        for step in 0..<300 {
            let now = t0.addingTimeInterval(Double(step) * 0.1)
            let take = paced.allowance("s", state, now: now)
            sent += take
            state = paced.consume("s", state, count: take, now: now)
        }
        #expect(sent >= 2400 - 8 && sent <= 2400 + 20, "\(sent) in 30 s at 80 msg/s")
    }

    @Test func theDailyCapCountsTheSendersLocalDayAndResetsAtItsMidnight() {
        let paced = pacing(SenderLimits(rateLimit: nil, dailyCap: 3, timeZone: "Asia/Tokyo"))
        var state = PaceState()
        #expect(paced.allowance("s", state, now: t0) == 3)
        state = paced.consume("s", state, count: 3, now: t0)
        #expect(paced.allowance("s", state, now: t0) == 0)
        #expect(SenderPacing.sentToday(state, now: t0, timeZone: "Asia/Tokyo") == 3)
        // 08:00 UTC is 17:00 in Tokyo: its next day starts 7 hours later, not at UTC midnight.
        let tokyoMidnight = t0.addingTimeInterval(7 * 3600)
        #expect(paced.nextAllowed("s", state, now: t0) == tokyoMidnight)
        #expect(paced.allowance("s", state, now: tokyoMidnight.addingTimeInterval(-1)) == 0)
        #expect(paced.allowance("s", state, now: tokyoMidnight) == 3)
        #expect(SenderPacing.sentToday(state, now: tokyoMidnight, timeZone: "Asia/Tokyo") == 0)
    }

    @Test func aWebSessionSendsOneAtATimeWithARandomPauseInItsRange() {
        let limits = SenderLimits(rateLimit: nil, dailyCap: nil, delay: .init(min: .seconds(25), max: .seconds(40)))
        for (random, pause) in [(0.0, 25.0), (0.5, 32.5), (0.999, 39.985)] {
            let paced = pacing(limits, random: random)
            #expect(paced.allowance("s", PaceState(), now: t0) == 1)
            let state = paced.consume("s", PaceState(), count: 1, now: t0)
            #expect(abs(state.pauseUntil!.timeIntervalSince(t0) - pause) < 0.001)
            #expect(paced.allowance("s", state, now: t0.addingTimeInterval(pause - 0.01)) == 0)
            #expect(paced.allowance("s", state, now: t0.addingTimeInterval(pause)) == 1)
        }
    }

    @Test func sendersWithoutLimitsAreNotPaced() {
        let paced = SenderPacing(limits: ["free": .unpaced, "s": SenderLimits(rateLimit: 1, dailyCap: nil)])
        #expect(paced.limits.keys.sorted() == ["s"])
        #expect(paced.allowance("free", PaceState(), now: t0) == .max)
        #expect(paced.consume("free", PaceState(), count: 5, now: t0) == PaceState())
    }
}
