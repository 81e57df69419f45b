import Foundation
import PigeonCore
import Testing

/// Every rule of the sender state machine: the logged-out count (blips do not count, the third in a row
/// deletes the credentials exactly once, stability resets it), the reconnect schedule, restrictions,
/// operators' actions, and that messages are rerouted exactly when a sender stops sending.
@Suite struct SenderLifecycleTests {
    let lifecycle = SenderLifecycle()
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: Int) -> Date { t0.addingTimeInterval(TimeInterval(seconds)) }

    /// Applies `events` in order (each at its time); returns the last result and every effect on the way.
    func run(_ health: SenderHealth, _ events: [(SenderEvent, Int)]) -> (SenderHealth, [SenderEffect]) {
        var health = health
        var effects: [SenderEffect] = []
        for (event, seconds) in events {
            let result = lifecycle.transition(health, event, now: at(seconds))
            health = result.health
            effects += result.effects
        }
        return (health, effects)
    }

    let connected = SenderHealth(status: .connected, workingSince: Date(timeIntervalSince1970: 1_800_000_000))

    @Test func theFirstTwoLoggedOutDropsRestartKeepingTheCredentialsAndTheThirdLogsOutOnce() {
        let first = lifecycle.transition(connected, .loggedOut(reason: "FAILED"), now: at(10))
        #expect(first.health.status == .connecting)
        #expect(first.health.consecutiveFailures == 1)
        #expect(first.health.lastFailureAt == at(10))
        #expect(first.effects == [.reroute, .restartSession])
        let (second, secondEffects) = run(first.health, [(.working, 20), (.loggedOut(reason: "FAILED"), 30)])
        #expect(second.consecutiveFailures == 2, "a brief open reset the count")
        #expect(secondEffects == [.reroute, .restartSession])
        let (third, thirdEffects) = run(second, [(.working, 40), (.loggedOut(reason: "FAILED"), 50)])
        #expect(third.status == .needsPairing)
        #expect(thirdEffects.filter { $0 == .logoutSession }.count == 1)
        #expect(!thirdEffects.contains(.restartSession))
        // Already without credentials: another report deletes nothing more.
        #expect(lifecycle.transition(third, .loggedOut(reason: "FAILED"), now: at(60)).effects.isEmpty)
    }

    @Test func workingForTheStablePeriodResetsTheCountAndABriefOpenDoesNot() {
        let (dropped, _) = run(connected, [(.loggedOut(reason: "FAILED"), 0), (.working, 10)])
        #expect(lifecycle.transition(dropped, .tick, now: at(129)).health.consecutiveFailures == 1)
        #expect(lifecycle.transition(dropped, .tick, now: at(130)).health.consecutiveFailures == 0)
        let (blipped, _) = run(dropped, [(.dropped(reason: "network"), 100), (.working, 160), (.tick, 200)])
        #expect(blipped.consecutiveFailures == 1, "the stable period restarts after each drop")
    }

    @Test func transientDropsNeverCountTowardDeletion() {
        var events: [(SenderEvent, Int)] = []
        for i in 0..<10 { events += [(.dropped(reason: "restart required"), i * 100), (.tick, i * 100 + 60), (.working, i * 100 + 61)] }
        let (health, effects) = run(connected, events)
        #expect(health.consecutiveFailures == 0)
        #expect(health.status == .connected)
        #expect(!effects.contains(.logoutSession))
    }

    @Test func reconnectsAtOneTwoThreeFourFiveMinutesThenNeedsAttention() {
        var health = lifecycle.transition(connected, .dropped(reason: "bridge unreachable"), now: at(0)).health
        var attemptTimes: [Int] = []
        var clock = 0
        for _ in 0..<5 {
            let due = Int(health.nextReconnectAt!.timeIntervalSince(t0))
            #expect(lifecycle.transition(health, .tick, now: at(due - 1)).effects.isEmpty, "a reconnect came early")
            let attempt = lifecycle.transition(health, .tick, now: at(due))
            #expect(attempt.effects == [.startSession])
            #expect(attempt.health.status == .connecting)
            attemptTimes.append(due - clock)
            clock = due + 5
            health = lifecycle.transition(attempt.health, .dropped(reason: "still unreachable"), now: at(clock)).health
        }
        #expect(attemptTimes == [60, 120, 180, 240, 300])
        #expect(health.status == .needsAttention)
        let waiting = lifecycle.transition(connected, .dropped(reason: "bridge unreachable"), now: at(0)).health
        let checkedAgain = lifecycle.transition(waiting, .dropped(reason: "still down"), now: at(41)).health
        #expect(checkedAgain.nextReconnectAt == at(60), "a health check that found the session still down moved the reconnect")
        #expect(health.nextReconnectAt == nil)
        #expect(lifecycle.transition(health, .tick, now: at(100_000)).effects.isEmpty, "it kept reconnecting")
    }

    @Test func aSuccessOnTheThirdAttemptResetsTheAttempts() {
        let (health, _) = run(
            connected,
            [
                (.dropped(reason: "network"), 0), (.tick, 60), (.dropped(reason: "network"), 61), (.tick, 181),
                (.dropped(reason: "network"), 182), (.tick, 362), (.working, 363),
            ])
        #expect(health.status == .connected)
        #expect(health.reconnectAttempts == 0)
        let again = lifecycle.transition(health, .dropped(reason: "network"), now: at(400))
        #expect(again.health.nextReconnectAt == at(460), "the schedule did not start over")
    }

    @Test func aRestrictionKeepsTheSessionAndEndsByItself() {
        let restricted = lifecycle.transition(connected, .restricted(until: at(3600)), now: at(0))
        #expect(restricted.health.status == .restricted)
        #expect(restricted.effects.isEmpty, "a restriction restarted, logged out or rerouted")
        #expect(restricted.health.status.sends)
        #expect(lifecycle.transition(restricted.health, .working, now: at(10)).health.status == .restricted)
        #expect(lifecycle.transition(restricted.health, .tick, now: at(3599)).health.status == .restricted)
        let ended = lifecycle.transition(restricted.health, .tick, now: at(3600)).health
        #expect(ended.status == .connected)
        #expect(ended.restrictedUntil == nil)
        // A reconnect does not lift it.
        let (reconnected, _) = run(restricted.health, [(.dropped(reason: "network"), 100), (.tick, 160), (.working, 161)])
        #expect(reconnected.status == .restricted)
    }

    @Test func forceDisconnectKeepsOrForgetsTheSession() {
        let kept = lifecycle.transition(connected, .disconnect(forgetSession: false), now: at(0))
        #expect(kept.health.status == .paused)
        #expect(kept.health.pauseReason == .operator)
        #expect(kept.effects == [.reroute, .stopSession])
        #expect(lifecycle.transition(kept.health, .working, now: at(1)).health.status == .paused, "reconnected on its own")
        #expect(lifecycle.transition(kept.health, .dropped(reason: "stopped"), now: at(1)).health.status == .paused)
        let reconnected = lifecycle.transition(kept.health, .connect, now: at(2))
        #expect(reconnected.health.status == .connecting)
        #expect(reconnected.effects == [.startSession])

        let (counted, _) = run(connected, [(.loggedOut(reason: "FAILED"), 0), (.working, 1)])
        let forgotten = lifecycle.transition(counted, .disconnect(forgetSession: true), now: at(2))
        #expect(forgotten.health.status == .needsPairing)
        #expect(forgotten.health.consecutiveFailures == 0)
        #expect(forgotten.effects == [.reroute, .logoutSession])
    }

    @Test func aSenderLevelErrorPausesUntilAResumeOrAPassingHealthCheck() {
        let paused = lifecycle.transition(connected, .senderError(code: 190, title: "Access token has expired"), now: at(0))
        #expect(paused.health.status == .paused)
        #expect(paused.health.pauseReason == .senderError(code: 190, title: "Access token has expired"))
        #expect(paused.effects == [.reroute])
        #expect(lifecycle.transition(paused.health, .working, now: at(1)).health.status == .connected)
        let resumed = lifecycle.transition(paused.health, .resume, now: at(1)).health
        #expect(resumed.status == .connected)
        #expect(resumed.pauseReason == nil)
        let operatorPaused = lifecycle.transition(connected, .pause, now: at(0)).health
        #expect(lifecycle.transition(operatorPaused, .working, now: at(1)).health.status == .paused)
        #expect(lifecycle.transition(operatorPaused, .resume, now: at(1)).health.status == .connected)
    }

    @Test func anUnpairedSessionAndABanAskForAHuman() {
        let new = lifecycle.transition(SenderHealth(), .awaitingPairing, now: at(0))
        #expect(new.health.status == .needsPairing)
        #expect(new.effects.isEmpty)
        #expect(lifecycle.transition(new.health, .working, now: at(30)).health.status == .connected)
        let banned = lifecycle.transition(connected, .banned(reason: "DISABLED_UPDATE"), now: at(0))
        #expect(banned.health.status == .needsAttention)
        #expect(banned.effects.first == .reroute)
        #expect(banned.effects.contains { if case .alert = $0 { true } else { false } })
    }

    @Test func aDisabledSenderIgnoresEverythingButBeingEnabled() {
        let statuses: [SenderHealth] = [
            connected, SenderHealth(), SenderHealth(status: .disconnected, nextReconnectAt: at(60)),
            SenderHealth(status: .paused, pauseReason: .operator), SenderHealth(status: .needsPairing),
            SenderHealth(status: .restricted, restrictedUntil: at(60)),
        ]
        let events: [SenderEvent] = [
            .working, .loggedOut(reason: "x"), .dropped(reason: "x"), .awaitingPairing, .restricted(until: at(9)),
            .senderError(code: 131031, title: "locked"), .banned(reason: "x"), .pause, .resume, .connect,
            .disconnect(forgetSession: true), .enabled(false), .tick,
        ]
        for health in statuses {
            let disabled = lifecycle.transition(health, .enabled(false), now: at(0))
            #expect(disabled.health.status == .disabled)
            #expect(disabled.effects == (health.status.sends ? [.reroute] : []))
            for event in events {
                let result = lifecycle.transition(disabled.health, event, now: at(100))
                #expect(result.health == disabled.health, "\(event) changed a disabled sender")
                #expect(result.effects.isEmpty)
            }
            let enabled = lifecycle.transition(disabled.health, .enabled(true), now: at(100))
            #expect(enabled.health.status == .connecting)
            #expect(enabled.effects == [.startSession])
        }
    }

    @Test func messagesAreReroutedExactlyWhenASenderStopsSending() {
        let events: [SenderEvent] = [
            .working, .loggedOut(reason: "x"), .dropped(reason: "x"), .awaitingPairing, .restricted(until: Date.distantFuture),
            .senderError(code: 131031, title: "locked"), .banned(reason: "x"), .pause, .resume, .connect,
            .disconnect(forgetSession: false), .disconnect(forgetSession: true), .enabled(false), .enabled(true), .tick,
        ]
        for status in SenderStatus.allCases {
            let health = SenderHealth(status: status, workingSince: status.sends ? t0 : nil, restrictedUntil: status == .restricted ? at(60) : nil)
            for event in events {
                let result = lifecycle.transition(health, event, now: at(10))
                let stopped = status.sends && !result.health.status.sends
                #expect(result.effects.contains(.reroute) == stopped, "\(status) + \(event) → \(result.health.status)")
            }
        }
    }
}
