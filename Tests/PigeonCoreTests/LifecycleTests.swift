import Foundation
import Testing

@testable import PigeonCore

@Suite struct LifecycleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let lifecycle = Lifecycle(
        policy: DeliveryPolicy(retry: RetryPolicy(schedule: [.seconds(10), .seconds(20)], jitter: 0.1), inDoubtAfter: .seconds(300)))

    static func error(_ errorClass: ErrorClass, code: Int? = 1) -> Classification {
        Classification(errorClass: errorClass, code: code, title: "t", details: nil, httpStatus: 400)
    }

    /// One event of every kind (every error class for `failed`, every delivery status for `reported`).
    var everyEvent: [LifecycleEvent] {
        [.claim(owner: "w", leaseUntil: now.adding(.seconds(30))), .accepted(wamid: "wamid.1"), .leaseExpired(jitter: 0.5)]
            + ErrorClass.allCases.map { .failed(Self.error($0), jitter: 0.5) }
            + [MessageStatus.sent, .delivered, .read].map { .reported($0, wamid: "wamid.2") }
            + ErrorClass.allCases.map { .reportedFailure(Self.error($0), jitter: 0.5) }
            + [
                .failed(Self.error(.media), jitter: 0.5, refreshesMedia: true),
                .reportedFailure(Self.error(.media), jitter: 0.5, refreshesMedia: true),
            ]
            + [.mediaRefreshFailed(Self.error(.media)), .operatorRetry(maxAttempts: nil), .cancel]
            + [.held(until: now.adding(.seconds(3600)), Self.error(.restricted))]
    }

    /// The rule table, written independently of the implementation: is `event` allowed from `status`,
    /// and does it change anything?
    func expectation(_ status: MessageStatus, _ event: LifecycleEvent) -> String {
        switch event {
        case .claim: MessageStatus.claimable.contains(status) ? "moved" : "rejected"
        case .accepted, .failed, .leaseExpired, .mediaRefreshFailed, .held: status == .sending ? "moved" : "rejected"
        case .reported(let reported, _): (reported.deliveryRank! > (status.deliveryRank ?? 0)) ? "moved" : "unchanged"
        case .reportedFailure:
            switch status {
            case .sent, .queued, .retryScheduled: "moved"
            case .sending: "rejected"
            case .delivered, .read, .failed, .cancelled: "unchanged"
            }
        case .operatorRetry: status == .failed ? "moved" : "rejected"
        case .cancel: MessageStatus.claimable.contains(status) ? "moved" : "rejected"
        }
    }

    @Test func everyStateAndEventPairFollowsTheRuleTable() {
        for status in MessageStatus.allCases {
            for event in everyEvent {
                let state = MessageState(status: status, attempts: 1, maxAttempts: 3, nextAttemptAt: now, leaseOwner: "w")
                let result = lifecycle.transition(state, event, now: now)
                let kind: String =
                    switch result {
                    case .moved: "moved"
                    case .unchanged: "unchanged"
                    case .rejected: "rejected"
                    }
                #expect(kind == expectation(status, event), "\(status.rawValue) + \(event)")
                if case .rejected(let reason) = result { #expect(!reason.isEmpty) }
            }
        }
    }

    @Test func deliveryStatusNeverMovesDown() {
        for current in [MessageStatus.sent, .delivered, .read] {
            for reported in [MessageStatus.sent, .delivered, .read] {
                let state = MessageState(status: current, maxAttempts: 3)
                let result = lifecycle.transition(state, .reported(reported, wamid: nil), now: now)
                if reported.deliveryRank! <= current.deliveryRank! {
                    #expect(result == .unchanged)
                } else {
                    #expect(result.state?.status == reported)
                }
            }
        }
    }

    @Test func claimStartsAnAttemptUnderALease() {
        let lease = now.adding(.seconds(30))
        let state = lifecycle.transition(.new(maxAttempts: 3, now: now), .claim(owner: "w1", leaseUntil: lease), now: now).state
        #expect(state?.status == .sending)
        #expect(state?.attempts == 1)
        #expect(state?.countedAttempts == 0)
        #expect(state?.leaseOwner == "w1")
        #expect(state?.leaseExpiresAt == lease)
    }

    @Test func claimBeforeTheDueTimeIsRejected() {
        let state = MessageState(status: .retryScheduled, maxAttempts: 3, nextAttemptAt: now.adding(.seconds(1)))
        guard case .rejected = lifecycle.transition(state, .claim(owner: "w", leaseUntil: now), now: now) else {
            Issue.record("a message not yet due was claimed")
            return
        }
    }

    @Test func acceptedRecordsTheWamidAndDropsTheLease() {
        let sending = MessageState(status: .sending, attempts: 1, maxAttempts: 3, leaseOwner: "w", leaseExpiresAt: now)
        let state = lifecycle.transition(sending, .accepted(wamid: "wamid.X"), now: now).state
        #expect(state?.status == .sent)
        #expect(state?.wamid == "wamid.X")
        #expect(state?.leaseOwner == nil)
        #expect(state?.nextAttemptAt == nil)
    }

    func sending(attempts: Int = 1, counted: Int = 0, max: Int = 3) -> MessageState {
        MessageState(status: .sending, attempts: attempts, countedAttempts: counted, maxAttempts: max, leaseOwner: "w")
    }

    @Test func transientErrorsRetryOnTheScheduleThenExhaustTheBudget() {
        let first = lifecycle.transition(sending(counted: 0), .failed(Self.error(.transient), jitter: 0.5), now: now).state!
        #expect(first.status == .retryScheduled)
        #expect(first.countedAttempts == 1)
        #expect(first.nextAttemptAt == now.adding(.seconds(10)))
        let second = lifecycle.transition(sending(counted: 1), .failed(Self.error(.transient), jitter: 0.5), now: now).state!
        #expect(second.nextAttemptAt == now.adding(.seconds(20)))
        let last = lifecycle.transition(sending(counted: 2), .failed(Self.error(.transient), jitter: 0.5), now: now).state!
        #expect(last.status == .failed)
        #expect(last.failureReason == .retriesExhausted)
        #expect(last.countedAttempts == 3)
        #expect(last.lastError?.errorClass == .transient)
    }

    @Test func permanentErrorsDeadLetterAtOnce() {
        let state = lifecycle.transition(sending(), .failed(Self.error(.permanent, code: 131026), jitter: 0), now: now).state!
        #expect(state.status == .failed)
        #expect(state.failureReason == .permanentError)
        #expect(state.lastError?.code == 131026)
    }

    @Test func throttlingRequeuesWithoutSpendingTheBudgetAndSlowsTheSender() {
        let result = lifecycle.transition(sending(counted: 2, max: 3), .failed(Self.error(.throttled, code: 130429), jitter: 0), now: now)
        guard case .moved(let state, let effects) = result else {
            Issue.record("throttle did not move the message")
            return
        }
        #expect(state.status == .retryScheduled)
        #expect(state.countedAttempts == 2)
        #expect(state.nextAttemptAt == now.adding(DeliveryPolicy.defaultThrottleRequeueDelay))
        #expect(effects == [.slowSender(Self.error(.throttled, code: 130429))])
    }

    @Test func aRestrictionWaitsWithoutSpendingTheBudgetAndRestrictsTheSender() {
        let error = Self.error(.restricted, code: 463)
        let result = lifecycle.transition(sending(counted: 2, max: 3), .failed(error, jitter: 0), now: now)
        guard case .moved(let state, let effects) = result else {
            Issue.record("a restriction did not move the message")
            return
        }
        #expect(state.status == .retryScheduled && state.countedAttempts == 2)
        #expect(state.nextAttemptAt == now.adding(DeliveryPolicy.defaultRestrictedRequeueDelay))
        #expect(effects == [.restrictSender(error)])
    }

    @Test func aHeldMessageWaitsUntilItsTimeWithoutSpendingTheBudget() {
        let until = now.adding(.seconds(5000))
        let held = lifecycle.transition(sending(counted: 1, max: 3), .held(until: until, Self.error(.restricted, code: nil)), now: now)
        #expect(held.state?.status == .retryScheduled && held.state?.countedAttempts == 1 && held.state?.nextAttemptAt == until)
        #expect(held.state?.leaseOwner == nil)
    }

    @Test func pairLimitsBackOffFourToTheX() {
        var state = sending()
        var delays: [TimeInterval] = []
        for _ in 0..<4 {
            let next = lifecycle.transition(state, .failed(Self.error(.pairLimited, code: 131056), jitter: 0), now: now).state!
            #expect(next.countedAttempts == 0)
            delays.append(next.nextAttemptAt!.timeIntervalSince(now))
            state = next
            state.status = .sending
        }
        #expect(delays == [1, 4, 16, 64])
        let sent = lifecycle.transition(state, .accepted(wamid: "w"), now: now).state!
        #expect(sent.pairLevel == 0)
    }

    @Test func senderLevelErrorsPauseTheSenderAndKeepTheMessageQueued() {
        let result = lifecycle.transition(sending(counted: 1), .failed(Self.error(.senderLevel, code: 190), jitter: 0), now: now)
        guard case .moved(let state, let effects) = result else {
            Issue.record("sender-level error did not move the message")
            return
        }
        #expect(state.status == .queued)
        #expect(state.countedAttempts == 1)
        #expect(effects == [.pauseSender(Self.error(.senderLevel, code: 190))])
    }

    @Test func mediaErrorsRetryOnceThenDeadLetter() {
        let first = lifecycle.transition(sending(counted: 0, max: 5), .failed(Self.error(.media, code: 131053), jitter: 0.5), now: now).state!
        #expect(first.status == .retryScheduled)
        #expect(first.mediaRetried)
        var again = first
        again.status = .sending
        let second = lifecycle.transition(again, .failed(Self.error(.media, code: 131053), jitter: 0.5), now: now).state!
        #expect(second.status == .failed)
        #expect(second.failureReason == .permanentError)
    }

    @Test func aMediaErrorOnLibraryAssetsRetriesAtOnceThenDeadLettersAsMediaRefreshFailed() {
        let media = Self.error(.media, code: 131053)
        let first = lifecycle.transition(sending(counted: 0, max: 5), .failed(media, jitter: 0.5, refreshesMedia: true), now: now).state!
        #expect(first.status == .retryScheduled)
        #expect(first.nextAttemptAt == now, "the retry waited although it uploads fresh ids first")
        #expect(first.mediaRetried)
        var again = first
        again.status = .sending
        let second = lifecycle.transition(again, .failed(media, jitter: 0.5, refreshesMedia: true), now: now).state!
        #expect(second.status == .failed)
        #expect(second.failureReason == .mediaRefreshFailed)
        let uploadFailed = lifecycle.transition(again, .mediaRefreshFailed(Self.error(.media, code: nil)), now: now).state!
        #expect(uploadFailed.status == .failed)
        #expect(uploadFailed.failureReason == .mediaRefreshFailed)
        let async = lifecycle.transition(
            MessageState(status: .sent, attempts: 1, maxAttempts: 5), .reportedFailure(media, jitter: 0.5, refreshesMedia: true), now: now
        ).state!
        #expect(async.status == .retryScheduled && async.nextAttemptAt == now && async.mediaRetried)
    }

    @Test func inDoubtAttemptsWaitTheQuietPeriodAndAreResentOnceEvenPastTheBudget() {
        let first = lifecycle.transition(sending(counted: 0, max: 1), .leaseExpired(jitter: 0.5), now: now).state!
        #expect(first.status == .retryScheduled)
        #expect(first.nextAttemptAt == now.adding(.seconds(300)))
        #expect(first.inDoubtGraceUsed)
        #expect(first.lastError?.errorClass == .inDoubt)
        var again = first
        again.status = .sending
        let second = lifecycle.transition(again, .failed(Self.error(.inDoubt, code: nil), jitter: 0.5), now: now).state!
        #expect(second.status == .failed)
        #expect(second.failureReason == .retriesExhausted)
    }

    @Test func operatorRetryGivesAFreshBudget() {
        let failed = MessageState(
            status: .failed, attempts: 3, countedAttempts: 3, maxAttempts: 3, failureReason: .retriesExhausted, mediaRetried: true)
        let state = lifecycle.transition(failed, .operatorRetry(maxAttempts: nil), now: now).state!
        #expect(state.status == .queued)
        #expect(state.countedAttempts == 0)
        #expect(state.attempts == 3)
        #expect(state.failureReason == nil)
        #expect(!state.mediaRetried)
        #expect(state.nextAttemptAt == now)
    }

    @Test func cancelStopsAQueuedMessage() {
        let state = lifecycle.transition(.new(maxAttempts: 3, now: now), .cancel, now: now).state!
        #expect(state.status == .cancelled)
        #expect(state.nextAttemptAt == nil)
    }
}
