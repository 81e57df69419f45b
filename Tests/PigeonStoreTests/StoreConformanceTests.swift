import Foundation
import PigeonCore
import PigeonSQLite
import PigeonTestSupport
import Testing

/// The store contract, written once and run against every store (`StoreKind.available`).
@Suite struct StoreConformanceTests {
    let lifecycle = Lifecycle()

    @Test(arguments: StoreKind.available) func acceptedMessagesSurviveReopeningTheFile(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let results = try await database.open().enqueue([newMessage(), newMessage(to: "+15550002222")], now: t0)
            let reopened = try await database.open()
            for result in results {
                let record = try #require(result.record)
                let stored = try #require(try await reopened.message(record.id))
                #expect(stored.state.status == .queued)
                #expect(stored.recipient == record.recipient)
                #expect(stored.state.nextAttemptAt == t0)
            }
        }
    }

    @Test(arguments: StoreKind.available) func concurrentWritesAreGroupCommittedAndAllDurable(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let ids = try await withThrowingTaskGroup(of: MessageID.self) { group in
                for _ in 0..<300 {
                    group.addTask { try await store.enqueue([newMessage()], now: t0)[0].record!.id }
                }
                return try await group.reduce(into: [MessageID]()) { $0.append($1) }
            }
            let reopened = try await database.open()
            #expect(Set(ids).count == 300)
            #expect(try await reopened.stats(windowStart: t0).counts[.queued] == 300)
        }
    }

    @Test(arguments: StoreKind.available) func aBatchKeepsItsOrderAndSeesKeysUsedEarlierInTheSameBatch(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let batch = [
                newMessage(to: "+15550000001"), newMessage(to: "+15550000002", key: "a", hash: "h"),
                newMessage(to: "+15550000003"), newMessage(to: "+15550000004", key: "a", hash: "h"),
                newMessage(to: "+15550000005", key: "a", hash: "other"), newMessage(to: "+15550000006"),
            ]
            let results = try await store.enqueue(batch, now: t0)
            #expect(results.count == 6)
            let original = try #require(results[1].record)
            guard case .replayed(let replayed) = results[3], case .conflict(let conflicting) = results[4] else {
                Issue.record("unexpected results: \(results)")
                return
            }
            #expect(replayed.id == original.id)
            #expect(conflicting == original.id)
            for index in [0, 1, 2, 5] {
                let record = try #require(results[index].record)
                #expect(record.id == batch[index].id)
                let stored = try #require(try await store.message(record.id))
                #expect(stored.seq == record.seq)
                #expect(stored.recipient == batch[index].recipient)
            }
            #expect(try await store.stats(windowStart: t0).counts[.queued] == 4)
        }
    }

    @Test(arguments: StoreKind.available) func idempotencyKeysReplayOrConflict(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let first = try await store.enqueue([newMessage(key: "k", hash: "h1")], now: t0)[0]
            let replay = try await store.enqueue([newMessage(key: "k", hash: "h1")], now: t0)[0]
            let conflict = try await store.enqueue([newMessage(key: "k", hash: "h2")], now: t0)[0]
            guard case .created(let original) = first, case .replayed(let again) = replay,
                case .conflict(let existing) = conflict
            else {
                Issue.record("unexpected results: \(first), \(replay), \(conflict)")
                return
            }
            #expect(again.id == original.id)
            #expect(existing == original.id)
            #expect(try await store.stats(windowStart: t0).counts[.queued] == 1)
        }
    }

    @Test(arguments: StoreKind.available) func claimTakesOnlyDueMessagesAndRecordsTheAttemptFirst(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let due = try await store.enqueue([newMessage(), newMessage()], now: t0).map { $0.record!.id }
            _ = try await store.enqueue([newMessage()], now: t0.addingTimeInterval(60))
            let claimed = try await store.claim(limit: 10, owner: "w1", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: [])
            #expect(Set(claimed.map(\.id)) == Set(due))
            for record in claimed {
                #expect(record.state.status == .sending)
                #expect(record.state.attempts == 1)
                #expect(record.state.leaseOwner == "w1")
                let attempts = try await store.attempts(of: record.id)
                #expect(attempts.map(\.outcome) == [.inFlight])
            }
            #expect(try await store.claim(limit: 10, owner: "w2", now: t0, leaseUntil: t0, excludedSenders: []).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func claimSkipsSendersThatDoNotSendAndHeldOnes(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            _ = try await store.enqueue([newMessage(sender: "A"), newMessage(sender: "B"), newMessage(sender: "C")], now: t0)
            #expect(try await store.insertSender(senderRecord("A", status: .paused)))
            let claimed = try await store.claim(limit: 10, owner: "w", now: t0, leaseUntil: t0, excludedSenders: ["B"])
            #expect(claimed.map(\.senderID) == ["C"], "a paused sender's message was claimed, or a held one's")
            let resumed = try await store.updateSender("A") { record in
                var record = record
                record.health.status = .connected
                return record
            }
            #expect(resumed?.before.health.status == .paused)
            #expect(
                try await store.claim(limit: 10, owner: "w", now: t0, leaseUntil: t0, excludedSenders: []).map(\.senderID).sorted() == ["A", "B"])
        }
    }

    @Test(arguments: StoreKind.available) func twoStoresOnOneDatabaseNeverClaimTheSameMessage(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let first = try await database.open()
            let second = try await database.open()
            _ = try await first.enqueue((0..<400).map { _ in newMessage() }, now: t0)
            async let a = (0..<20).asyncMap { _ in try await first.claim(limit: 15, owner: "a", now: t0, leaseUntil: t0, excludedSenders: []) }
            async let b = (0..<20).asyncMap { _ in try await second.claim(limit: 15, owner: "b", now: t0, leaseUntil: t0, excludedSenders: []) }
            let ids = try await (a + b).flatMap { $0.map(\.id) }
            #expect(ids.count == 400)
            #expect(Set(ids).count == 400)
        }
    }

    @Test(arguments: StoreKind.available) func completionsApplyOnlyWhileTheLeaseIsHeld(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            _ = try await store.enqueue([newMessage()], now: t0)
            let record = try await store.claim(limit: 1, owner: "w1", now: t0, leaseUntil: t0, excludedSenders: [])[0]
            let sent = lifecycle.transition(record.state, .accepted(wamid: "wamid.1"), now: t0).state!
            let stale = AttemptCompletion(
                messageID: record.id, seq: record.seq, owner: "someone-else", claimed: record.state, state: sent,
                outcome: .sent, error: nil, startedAt: t0, finishedAt: t0, durationMs: 5, senderID: record.senderID)
            #expect(try await store.complete([stale], now: t0).isEmpty)
            #expect(try await store.attempts(of: record.id).map(\.outcome) == [.inFlight])
            var mine = stale
            mine.owner = "w1"
            #expect(try await store.complete([mine], now: t0) == [record.id])
            let stored = try #require(try await store.message(record.id))
            #expect(stored.state.status == .sent)
            #expect(stored.state.wamid == "wamid.1")
            #expect(stored.sentAt == t0)
            #expect(try await store.attempts(of: record.id).map(\.outcome) == [.sent])
            #expect(try await store.complete([mine], now: t0).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func expiredLeasesAreReclaimedAndTheAttemptIsInDoubt(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            _ = try await store.enqueue([newMessage(), newMessage()], now: t0)
            let claimed = try await store.claim(limit: 1, owner: "dead", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: [])
            let later = t0.addingTimeInterval(31)
            let reclaimed = try await store.reclaimExpiredLeases(now: later, limit: 10) {
                lifecycle.transition($0.state, .leaseExpired(jitter: 0.5), now: later).state
            }
            #expect(reclaimed == 1)
            let stored = try #require(try await store.message(claimed[0].id))
            #expect(stored.state.status == .retryScheduled)
            #expect(stored.state.leaseOwner == nil)
            #expect(try await store.attempts(of: claimed[0].id).map(\.outcome) == [.inDoubt])
        }
    }

    @Test(arguments: StoreKind.available) func pagesAreStableWhileNewMessagesArrive(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let ids = try await store.enqueue((0..<25).map { _ in newMessage() }, now: t0).map { $0.record!.id }
            var seen: [MessageID] = []
            var cursor: Int64?
            repeat {
                let page = try await store.list(MessageFilter(), limit: 10, cursor: cursor)
                seen += page.messages.map(\.id)
                cursor = page.nextCursor
                _ = try await store.enqueue([newMessage()], now: t0)
            } while cursor != nil
            #expect(seen == ids.reversed())
        }
    }

    @Test(arguments: StoreKind.available) func purgeRemovesOnlyEndedMessagesPastTheCutoff(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let ids = try await store.enqueue([newMessage(), newMessage(), newMessage()], now: t0).map { $0.record!.id }
            _ = try await store.update(ids[0], now: t0) { lifecycle.transition($0, .cancel, now: t0) }
            _ = try await store.update(ids[1], now: t0.addingTimeInterval(100)) { lifecycle.transition($0, .cancel, now: t0) }
            #expect(try await store.purge(statuses: [.failed, .cancelled], before: t0.addingTimeInterval(50), limit: 100) == 1)
            #expect(try await store.message(ids[0]) == nil)
            #expect(try await store.message(ids[1]) != nil)
            #expect(try await store.message(ids[2]) != nil)
        }
    }

    @Test(arguments: StoreKind.available) func claimTakesTheEarliestDueAcrossSenders(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let b = try await store.enqueue([newMessage(sender: "B")], now: t0)[0].record!.id
            let a = try await store.enqueue([newMessage(sender: "A")], now: t0.addingTimeInterval(1))[0].record!.id
            let c = try await store.enqueue([newMessage(sender: "C")], now: t0.addingTimeInterval(2))[0].record!.id
            let later = t0.addingTimeInterval(10)
            #expect(try await store.nextDueTime() == t0)
            #expect(try await store.claim(limit: 2, owner: "w", now: later, leaseUntil: later, excludedSenders: []).map(\.id) == [b, a])
            #expect(try await store.nextDueTime() == t0.addingTimeInterval(2))
            #expect(try await store.claim(limit: 2, owner: "w", now: later, leaseUntil: later, excludedSenders: []).map(\.id) == [c])
            #expect(try await store.nextDueTime() == nil)
        }
    }

    @Test(arguments: StoreKind.available) func statsCountersFollowEveryChangeAndMatchACount(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let ids = try await store.enqueue((0..<6).map { _ in newMessage() }, now: t0).map { $0.record!.id }
            let claimed = try await store.claim(limit: 3, owner: "w", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: [])
            let sent = lifecycle.transition(claimed[0].state, .accepted(wamid: "wamid.1"), now: t0).state!
            _ = try await store.complete(
                [
                    AttemptCompletion(
                        messageID: claimed[0].id, seq: claimed[0].seq, owner: "w", claimed: claimed[0].state, state: sent,
                        outcome: .sent, error: nil, startedAt: t0, finishedAt: t0, durationMs: 1, senderID: claimed[0].senderID)
                ], now: t0)
            _ = try await store.update(ids[5], now: t0) { lifecycle.transition($0, .cancel, now: t0) }
            _ = try await store.delete(ids[4]) { _ in true }
            _ = try await store.reclaimExpiredLeases(now: t0.addingTimeInterval(31), limit: 10) {
                lifecycle.transition($0.state, .leaseExpired(jitter: 0.5), now: t0.addingTimeInterval(31)).state
            }
            let stats = try await store.stats(windowStart: t0)
            #expect(stats.counts[.queued] == 1)
            #expect(stats.counts[.sent] == 1)
            #expect(stats.counts[.retryScheduled] == 2)
            #expect(stats.counts[.cancelled] == 1)
            #expect(stats.counts[.sending] == 0)
            #expect(stats.attemptsInWindow == 3)
            #expect(stats.retriesInWindow == 0)
            #expect(try await store.stats(windowStart: t0.addingTimeInterval(120)).attemptsInWindow == 0)
            #expect(try await store.purge(statuses: [.cancelled], before: t0.addingTimeInterval(1), limit: 10) == 1)
            let reopened = try await database.open()
            let counted = try await reopened.stats(windowStart: t0).counts
            for status in MessageStatus.allCases {
                #expect(counted[status] == (try await reopened.list(MessageFilter(status: status), limit: 100, cursor: nil).messages.count))
            }
        }
    }

    @Test(arguments: StoreKind.available) func webhookBodiesAreKeptUntilProcessedAndPurgedOnlyPastTheCutoff(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            try await store.saveWebhook(Data("{}".utf8), receivedAt: t0)
            try await store.saveWebhook(Data("[1]".utf8), receivedAt: t0.addingTimeInterval(100))
            let stored = try await store.unprocessedWebhooks(limit: 10)
            #expect(stored.map { String(decoding: $0.body, as: UTF8.self) } == ["{}", "[1]"])
            #expect(try await store.purgeWebhooks(before: t0.addingTimeInterval(1000), limit: 10) == 0, "an unprocessed body was purged")
            _ = try await store.settle(
                [], inbound: [], processed: [(stored[0].seq, nil), (stored[1].seq, "not an object")], now: t0, forwarding: false
            ) { _, _ in .wait }
            #expect(try await store.unprocessedWebhooks(limit: 10).isEmpty)
            #expect(try await store.purgeWebhooks(before: t0.addingTimeInterval(50), limit: 10) == 1)
            #expect(try await store.purgeWebhooks(before: t0.addingTimeInterval(1000), limit: 10) == 1)
        }
    }

    @Test(arguments: StoreKind.available) func aReceivedWebhookIsStoredProcessedWithItsEventsInOneStep(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let webhook = MetaWebhook(
                statuses: [StatusReport(wamid: "wamid.unknown", status: "delivered")], problems: ["entry[1] has no changes array"])
            for _ in 0..<2 {
                let settled = try await store.receiveWebhook(Data("{}".utf8), carrying: webhook, receivedAt: t0, forwarding: false) { _, _ in .wait }
                #expect(settled.isEmpty)
            }
            #expect(try await store.unprocessedWebhooks(limit: 10).isEmpty)
            #expect(try await store.intakeStats().pendingEvents == 1, "a repeated status was stored twice")
            #expect(try await store.purgeWebhooks(before: t0.addingTimeInterval(1), limit: 10) == 2)
        }
    }

    @Test(arguments: StoreKind.available) func generatedSettingsAreStoredOnce(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let first = try await store.setting("api_key") { "one" }
            let second = try await store.setting("api_key") { "two" }
            #expect(first.value == "one" && first.created)
            #expect(second.value == "one" && !second.created)
        }
    }
}

extension Range where Bound == Int {
    func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await transform(value)) }
        return results
    }
}
