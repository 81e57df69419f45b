import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// The store contract for webhooks, forwards and the media library, run against every store.
@Suite struct PipelineConformanceTests {
    let settlement = StatusSettlement(lifecycle: Lifecycle(), classifier: ErrorClassifier())

    /// A message claimed and accepted by Meta as `wamid`.
    func sentMessage(_ store: any PigeonStore, wamid: String) async throws -> MessageRecord {
        let id = try await store.enqueue([newMessage()], now: t0)[0].record!.id
        let claimed = try await store.claim(limit: 10, owner: "w", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: [])
            .first { $0.id == id }!
        let sent = Lifecycle().transition(claimed.state, .accepted(wamid: wamid), now: t0).state!
        _ = try await store.complete(
            [
                AttemptCompletion(
                    messageID: id, seq: claimed.seq, owner: "w", claimed: claimed.state, state: sent, outcome: .sent, error: nil,
                    startedAt: t0, finishedAt: t0, durationMs: 1, senderID: claimed.senderID)
            ], now: t0)
        return try await store.message(id)!
    }

    @Test(arguments: StoreKind.available) func statusesMoveTheirMessageOnceAndAreForwardedUnderItsID(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let message = try await sentMessage(store, wamid: "wamid.A")
            try await store.rememberClientID(message.id)
            let settlement = self.settlement
            let decide: @Sendable (MessageRecord, StatusReport) -> StatusDecision = { record, report in
                settlement.decide(record.state, report, now: t0, jitter: 0.5)
            }
            // Meta did not echo the callback data: the status is still matched (by wamid) and forwarded under
            // Pigeon's id, which the application was given.
            let delivered = StatusReport(wamid: "wamid.A", status: "delivered", timestamp: t0)
            let settled = try await store.settle([delivered, delivered], inbound: [], processed: [], now: t0, forwarding: true, decide: decide)
            #expect(settled.count == 1)
            #expect(try await store.message(message.id)?.state.status == .delivered)
            let unknown = StatusReport(wamid: "wamid.B", status: "read", timestamp: t0)
            #expect(try await store.settle([unknown], inbound: [], processed: [], now: t0, forwarding: true, decide: decide).isEmpty)
            let events = try await store.events(of: message.id)
            #expect(events.map(\.outcome) == [.applied])
            #expect(try await store.intakeStats().pendingEvents == 1)
            // The unknown status is retried with backoff, then given up.
            #expect(try await store.settlePending(now: t0, limit: 10, giveUpAfter: .seconds(60), decide: decide).isEmpty)
            _ = try await store.settlePending(now: t0.addingTimeInterval(3600), limit: 10, giveUpAfter: .seconds(60), decide: decide)
            #expect(try await store.intakeStats().pendingEvents == 0)

            let forwards = try await store.forwards(status: nil, limit: 10, cursor: nil).forwards
            #expect(forwards.count == 2, "a repeated status was forwarded twice")
            let forwardedDelivered = try #require(forwards.first { $0.key == message.id.rawValue })
            #expect(String(decoding: forwardedDelivered.body, as: UTF8.self).contains(#""id":"\#(message.id.rawValue)""#))
            #expect(forwards.contains { $0.key == "wamid.B" })
        }
    }

    @Test(arguments: StoreKind.available) func forwardsFollowTheirLifecycleInOrderPerKey(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let inbound = (0..<3).map { InboundMessage(wamid: "wamid.in.\($0)", from: "1555000\($0 % 2)", body: Data("{\"n\":\($0)}".utf8)) }
            _ = try await store.settle([], inbound: inbound + [inbound[0]], processed: [], now: t0, forwarding: true) { _, _ in .wait }
            #expect(try await store.intakeStats().forwardsWaiting == 3, "an inbound message seen twice was forwarded twice")
            #expect(try await store.nextForwardDue(to: .app) == t0)
            // One open forward per key: two keys, two claimable.
            let first = try await store.claimForwards(to: .app, limit: 10, owner: "a", now: t0, leaseUntil: t0.addingTimeInterval(30))
            #expect(first.map(\.key).sorted() == ["from:15550000", "from:15550001"])
            #expect(first.allSatisfy { $0.status == .sending && $0.attempts == 1 })
            #expect(try await store.claimForwards(to: .app, limit: 10, owner: "b", now: t0, leaseUntil: t0).isEmpty)
            let delivered = try #require(first.first { $0.key == "from:15550000" })
            try await store.finishForward(delivered.id, owner: "someone-else", outcome: .delivered, now: t0)
            try await store.finishForward(delivered.id, owner: "a", outcome: .delivered, now: t0)
            let failing = try #require(first.first { $0.key == "from:15550001" })
            try await store.finishForward(failing.id, owner: "a", outcome: .deadLetter(error: "HTTP 500", httpStatus: 500), now: t0)
            // The key's next forward is now due; the dead letter waits for an operator.
            let second = try await store.claimForwards(to: .app, limit: 10, owner: "a", now: t0, leaseUntil: t0.addingTimeInterval(30))
            #expect(second.map(\.key) == ["from:15550000"])
            #expect(try await store.reclaimForwards(now: t0.addingTimeInterval(31)) == 1)
            let failed = try await store.forwards(status: .failed, limit: 10, cursor: nil).forwards
            #expect(failed.map(\.id) == [failing.id])
            #expect(failed.first?.lastHTTPStatus == 500)
            #expect(try await store.retryForward(failing.id, now: t0) == true)
            #expect(try await store.retryForward(failing.id, now: t0) == false)
            #expect(try await store.retryForward(999_999, now: t0) == nil)
            let page = try await store.forwards(status: nil, limit: 2, cursor: nil)
            #expect(page.forwards.count == 2)
            #expect(try await store.forwards(status: nil, limit: 2, cursor: page.next).forwards.count == 1)
            #expect(try await store.forwards(status: .delivered, limit: 10, cursor: nil).forwards.first?.deliveredAt == t0)
        }
    }

    @Test(arguments: StoreKind.available) func theMediaLibraryKeepsAssetsUploadsAndOneUploaderAtATime(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let asset = MediaAsset(key: "intro", sha256: "aa", mimeType: "video/mp4", size: 10, filename: "intro.mp4", createdAt: t0, updatedAt: t0)
            #expect(try await store.saveAsset(asset))
            #expect(try await store.uploadsDue(expiringBy: t0, now: t0, limit: 10).isEmpty)
            #expect(try await store.beginUpload(key: "intro", senderID: "100", owner: "a", until: t0.addingTimeInterval(60), now: t0))
            #expect(try await !store.beginUpload(key: "intro", senderID: "100", owner: "b", until: t0.addingTimeInterval(60), now: t0))
            let upload = MediaRefresh(reason: .registered, at: t0, oldMediaID: nil, newMediaID: "m1", error: nil, sha256: "aa")
            try await store.finishUpload(
                key: "intro", senderID: "100", owner: "a", refresh: upload, expiresAt: t0.addingTimeInterval(30 * 86400), retryAt: nil)
            let stored = try #require(try await store.asset("intro"))
            #expect(stored.uploads.map(\.mediaID) == ["m1"])
            #expect(stored.uploads.first?.history.count == 1)
            #expect(try await store.uploadsDue(expiringBy: t0.addingTimeInterval(29 * 86400), now: t0, limit: 10).isEmpty)
            #expect(try await store.uploadsDue(expiringBy: t0.addingTimeInterval(31 * 86400), now: t0, limit: 10).map(\.mediaID) == ["m1"])
            // A failed upload counts and is retried from its retry time.
            #expect(try await store.beginUpload(key: "intro", senderID: "100", owner: "b", until: t0.addingTimeInterval(60), now: t0))
            let failure = MediaRefresh(reason: .proactive, at: t0, oldMediaID: "m1", newMediaID: nil, error: "HTTP 500", sha256: "aa")
            try await store.finishUpload(
                key: "intro", senderID: "100", owner: "b", refresh: failure, expiresAt: nil, retryAt: t0.addingTimeInterval(600))
            #expect(try await store.uploadFailures(key: "intro", senderID: "100") == 1)
            #expect(try await store.uploadsDue(expiringBy: t0, now: t0, limit: 10).isEmpty)
            #expect(try await store.uploadsDue(expiringBy: t0, now: t0.addingTimeInterval(601), limit: 10).count == 1)
            let stats = try await store.mediaStats()
            #expect(stats.assets == 1 && stats.uploads[.registered] == 1 && stats.uploadFailures == 1)
            // New bytes make the uploaded id stale: due again.
            var replaced = asset
            replaced.sha256 = "bb"
            #expect(try await !store.saveAsset(replaced))
            #expect(try await store.uploadsDue(expiringBy: t0, now: t0.addingTimeInterval(601), limit: 10).count == 1)
            // Messages naming the key, and the ids each attempt used.
            var named = newMessage()
            named.payload = #"{"video":{"media_key":"intro"},"to":"+15550001111","type":"video"}"#
            let id = try await store.enqueue([named], now: t0)[0].record!.id
            #expect(try await store.unsentMessages(namingMediaKey: "intro") == 1)
            #expect(try await store.unsentMessages(namingMediaKey: "other") == 0)
            let claimed = try await store.claim(limit: 1, owner: "w", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: [])[0]
            let sent = Lifecycle().transition(claimed.state, .accepted(wamid: "wamid.M"), now: t0).state!
            _ = try await store.complete(
                [
                    AttemptCompletion(
                        messageID: id, seq: claimed.seq, owner: "w", claimed: claimed.state, state: sent, outcome: .sent, error: nil,
                        startedAt: t0, finishedAt: t0, durationMs: 1, media: MediaUse(ids: ["intro": "m1"], afterMediaError: true),
                        senderID: claimed.senderID)
                ], now: t0)
            #expect(try await store.mediaUsed(messageSeq: claimed.seq, before: 2) == ["intro": "m1"])
            #expect(try await store.mediaStats().retriesAfterMediaError == 1)
            #expect(try await store.assets().map(\.key) == ["intro"])
            #expect(try await store.deleteAsset("intro"))
            #expect(try await !store.deleteAsset("intro"))
            #expect(try await store.asset("intro") == nil)
        }
    }
}
