import Foundation
import Testing

@testable import PigeonCore

/// Webhook statuses: parsing Meta's envelope leniently, and the rules that apply a status to a message.
@Suite struct StatusSettlementTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let settlement = StatusSettlement(
        lifecycle: Lifecycle(policy: DeliveryPolicy(retry: RetryPolicy(schedule: [.seconds(10)], jitter: 0))),
        classifier: ErrorClassifier())

    @Test func aWebhookIsParsedWithEveryStatusFieldAndItsProblems() {
        let body = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
              "messaging_product":"whatsapp","metadata":{"phone_number_id":"100"},
              "messages":[{"from":"15550001111","id":"wamid.in","timestamp":"1","type":"text","text":{"body":"hi"}}],
              "statuses":[
                {"id":"wamid.A","status":"failed","timestamp":"1800000001","recipient_id":"15550001111",
                 "biz_opaque_callback_data":"msg_1","errors":[{"code":131049,"title":"Healthy ecosystem","error_data":{"details":"limit"}}]},
                {"id":"wamid.B","status":"delivered","timestamp":"1800000002","pricing":{"category":"marketing","billable":true}},
                {"status":"read"}, 7]}}]}, {"nochanges":true}]}
            """#
        let webhook = MetaWebhook(parsing: Data(body.utf8))
        #expect(webhook.inbound.map(\.wamid) == ["wamid.in"])
        #expect(webhook.inbound.first?.from == "15550001111")
        #expect(webhook.statuses.count == 2)
        let failed = webhook.statuses[0]
        #expect(failed.wamid == "wamid.A")
        #expect(failed.isFailure)
        #expect(failed.callbackData == "msg_1")
        #expect(failed.recipientID == "15550001111")
        #expect(failed.timestamp == Date(timeIntervalSince1970: 1_800_000_001))
        #expect(failed.errors == [GraphError(code: 131049, title: "Healthy ecosystem", details: "limit")])
        #expect(webhook.statuses[1].deliveryStatus == .delivered)
        #expect(webhook.statuses[1].pricing == #"{"billable":true,"category":"marketing"}"#)
        #expect(webhook.problems.count == 3, "\(webhook.problems)")
        #expect(MetaWebhook(parsing: Data("[]".utf8)).problems == ["the body is not a JSON object"])
    }

    func message(_ status: MessageStatus) -> MessageRecord {
        MessageRecord(
            id: MessageID(rawValue: "msg_1"), seq: 1, senderID: "100", recipient: "+15550001111", type: "text", payload: "{}",
            idempotencyKey: nil, state: state(status), createdAt: now, updatedAt: now, sentAt: now)
    }

    @Test func aReportIsPlacedOnItsMessageOrTriedAgainWithBackoff() {
        let read = StatusReport(wamid: "wamid.A", status: "read")
        let decide = { (message: MessageRecord, report: StatusReport) in settlement.decide(message.state, report, now: now, jitter: 0) }
        #expect(EventPlacement.of(read, on: nil, tries: 0, now: now, decide: decide) == .retry(at: now.addingTimeInterval(1)))
        #expect(EventPlacement.of(read, on: nil, tries: 3, now: now, decide: decide) == .retry(at: now.addingTimeInterval(8)))
        #expect(EventPlacement.of(read, on: nil, tries: 40, now: now, decide: decide) == .retry(at: now.addingTimeInterval(300)))
        #expect(EventPlacement.of(read, on: message(.sending), tries: 2, now: now, decide: decide) == .retry(at: now.addingTimeInterval(4)))
        #expect(EventPlacement.of(read, on: message(.read), tries: 0, now: now, decide: decide) == .record(on: message(.read)))
        guard case .move(let moved, let state, _) = EventPlacement.of(read, on: message(.sent), tries: 0, now: now, decide: decide) else {
            Issue.record("a read report on a sent message moves it")
            return
        }
        #expect(moved == message(.sent))
        #expect(state.status == .read)
        #expect(EventPlacement.record(on: message(.read)).message?.id.rawValue == "msg_1")
        #expect(EventPlacement.retry(at: now).message == nil)
    }

    func state(_ status: MessageStatus) -> MessageState {
        MessageState(status: status, attempts: 1, countedAttempts: 0, maxAttempts: 3, wamid: "wamid.A")
    }

    @Test func deliveryStatusesMoveUpAndWaitForAnAttemptInFlight() {
        let read = StatusReport(wamid: "wamid.A", status: "read")
        #expect(settlement.decide(state(.sent), read, now: now, jitter: 0).transition?.state?.status == .read)
        #expect(settlement.decide(state(.read), StatusReport(wamid: "wamid.A", status: "delivered"), now: now, jitter: 0) == .apply(.unchanged))
        #expect(settlement.decide(state(.sending), read, now: now, jitter: 0) == .wait)
        #expect(settlement.decide(state(.sent), StatusReport(wamid: "wamid.A", status: "played"), now: now, jitter: 0) == .apply(.unchanged))
    }

    @Test func aLateSentAfterAReportedFailureOfTheSameWamidChangesNothing() throws {
        let failure = StatusReport(wamid: "wamid.A", status: "failed", errors: [GraphError(code: 131000, title: "x")])
        let failed = try #require(settlement.decide(state(.sent), failure, now: now, jitter: 0).transition?.state)
        #expect(failed.status == .retryScheduled)
        #expect(settlement.decide(failed, StatusReport(wamid: "wamid.A", status: "sent"), now: now, jitter: 0) == .apply(.unchanged))
        #expect(
            settlement.decide(failed, StatusReport(wamid: "wamid.A", status: "delivered"), now: now, jitter: 0).transition?.state?.status
                == .delivered)
        var inDoubt = failed
        inDoubt.wamid = nil
        #expect(
            settlement.decide(inDoubt, StatusReport(wamid: "wamid.B", status: "sent"), now: now, jitter: 0).transition?.state?.status == .sent,
            "an in-doubt attempt must still be settled by its sent status")
    }

    @Test func anAsyncFailureIsClassifiedByItsCodeLikeASynchronousOne() {
        func failure(_ code: Int) -> StatusReport {
            StatusReport(wamid: "wamid.A", status: "failed", errors: [GraphError(code: code, title: "x")])
        }
        let transient = settlement.decide(state(.sent), failure(131000), now: now, jitter: 0).transition?.state
        #expect(transient?.status == .retryScheduled)
        #expect(transient?.nextAttemptAt == now.adding(.seconds(10)))
        #expect(transient?.countedAttempts == 1)
        let permanent = settlement.decide(state(.sent), failure(131026), now: now, jitter: 0).transition?.state
        #expect(permanent?.status == .failed)
        #expect(permanent?.failureReason == .permanentError)
        let media = settlement.decide(state(.sent), failure(131053), now: now, jitter: 0).transition?.state
        #expect(media?.status == .retryScheduled)
        #expect(media?.mediaRetried == true)
        guard case .apply(.moved(let paused, let effects)) = settlement.decide(state(.sent), failure(131031), now: now, jitter: 0) else {
            Issue.record("a sender-level failure did not move the message")
            return
        }
        #expect(paused.status == .queued)
        #expect(effects.count == 1)
        for settled in [MessageStatus.delivered, .read, .failed, .cancelled] {
            #expect(settlement.decide(state(settled), failure(131026), now: now, jitter: 0) == .apply(.unchanged))
        }
        let bare = settlement.classification(of: StatusReport(wamid: "wamid.A", status: "failed"))
        #expect(bare.errorClass == .transient)
    }
}

extension StatusDecision {
    var transition: Transition? {
        if case .apply(let transition) = self { return transition }
        return nil
    }
}
