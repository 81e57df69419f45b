import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// The sender registry on both stores: records round-trip whole, ids are unique, changes happen inside one
/// transaction (a throwing change leaves the record alone; concurrent changes are serialised), and a
/// sender with unsent messages is not deleted.
@Suite struct SenderConformanceTests {
    @Test(arguments: StoreKind.available) func aSenderRoundTripsWholeAndReadsBackFromAnotherOpening(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let record = senderRecord("support-1", kind: .webSession, status: .paused, pool: "web")
            #expect(try await store.insertSender(record))
            #expect(try await !store.insertSender(senderRecord("support-1")), "a second sender took a used id")
            #expect(try await store.insertSender(senderRecord("100")))
            let other = try await database.open()
            #expect(try await other.sender("support-1") == record)
            #expect(try await other.senders().map(\.id) == ["100", "support-1"])
            #expect(try await other.sender("nobody") == nil)
        }
    }

    @Test(arguments: StoreKind.available) func aChangeThatThrowsChangesNothingAndChangesAreSerialised(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            #expect(try await store.insertSender(senderRecord("100")))
            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                _ = try await store.updateSender("100") { record in
                    var record = record
                    record.pool = "changed"
                    _ = record
                    throw Refused()
                }
            }
            #expect(try await store.sender("100")?.pool == "default")
            #expect(try await store.updateSender("nobody") { $0 } == nil)
            let second = try await database.open()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for opened in [store, second] {
                    group.addTask {
                        for _ in 0..<20 {
                            _ = try await opened.updateSender("100") { record in
                                var record = record
                                record.health.consecutiveFailures += 1
                                return record
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.sender("100")?.health.consecutiveFailures == 2 + 40, "concurrent changes were lost")
        }
    }

    @Test(arguments: StoreKind.available) func aSenderWithUnsentMessagesIsNotDeleted(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            #expect(try await store.insertSender(senderRecord("100")))
            #expect(try await store.insertSender(senderRecord("200")))
            _ = try await store.enqueue([newMessage(sender: "100"), newMessage(sender: "100"), newMessage(sender: "200")], now: t0)
            _ = try await store.claim(limit: 1, owner: "w", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: ["200"])
            #expect(try await store.deleteSender("100") == .hasUnsentMessages(2), "a queued or sending message was not counted")
            #expect(try await store.sender("100") != nil)
            #expect(try await store.deleteSender("nobody") == .notFound)
            let cancelled = try await store.updateAll(MessageFilter(status: .queued, senderID: "200"), limit: 10, now: t0) {
                Lifecycle().transition($0, .cancel, now: t0)
            }
            #expect(cancelled == 1)
            #expect(try await store.deleteSender("200") == .deleted)
            #expect(try await store.senders().map(\.id) == ["100"])
        }
    }
}

extension SenderConformanceTests {
    @Test(arguments: StoreKind.available) func reassignMovesOnlyWaitingPooledMessagesOfTheGivenSenders(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            func pooled(_ sender: String, pool: String = "p") -> NewMessage {
                var message = newMessage(sender: sender)
                message.pool = pool
                return message
            }
            let results = try await store.enqueue(
                [pooled("A"), pooled("A"), pooled("A"), newMessage(sender: "A"), pooled("A", pool: "q"), pooled("C")], now: t0)
            let ids = results.compactMap(\.record?.id)
            _ = try await store.claim(limit: 1, owner: "w", now: t0, leaseUntil: t0.addingTimeInterval(30), excludedSenders: ["C"])
            let (moved, last) = try await store.reassign(pool: "p", from: ["A", "C"], afterSeq: 0, limit: 10) { record in
                record.senderID == "A" ? "B" : nil
            }
            #expect(moved == 2, "the message in flight, the pinned one or another pool's moved, or a pooled one did not")
            #expect(last != nil)
            var senders: [String] = []
            for id in ids { senders.append(try await store.message(id)!.senderID) }
            #expect(senders == ["A", "B", "B", "A", "A", "C"])
            #expect(try await store.message(ids[1])?.pool == "p")
            #expect(try await store.message(ids[3])?.pool == nil)
            let (none, _) = try await store.reassign(pool: "p", from: ["B"], afterSeq: last!, limit: 10) { _ in "A" }
            #expect(none == 0, "messages before afterSeq were examined")
        }
    }
}

extension SenderConformanceTests {
    @Test(arguments: StoreKind.available) func claimsTakeNoMoreThanAPacedSendersAllowanceAcrossOpenings(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let first = try await database.open()
            let second = try await database.open()
            _ = try await first.enqueue((0..<40).map { _ in newMessage(sender: "capped") } + (0..<5).map { _ in newMessage(sender: "free") }, now: t0)
            let pacing = SenderPacing(limits: ["capped": SenderLimits(rateLimit: 40, dailyCap: 15)])
            func claim(_ store: any PigeonStore, at now: Date) async throws -> [MessageRecord] {
                try await store.claim(limit: 100, owner: "w", now: now, leaseUntil: now.addingTimeInterval(30), excludedSenders: [], pacing: pacing)
            }
            let burst = try await claim(first, at: t0)
            #expect(burst.filter { $0.senderID == "capped" }.count == 10, "a quarter second of 40 msg/s is 10")
            #expect(burst.filter { $0.senderID == "free" }.count == 5, "an unpaced sender was held back")
            #expect(try await claim(second, at: t0).isEmpty, "another opening did not share the pace")
            #expect(try await claim(second, at: t0.addingTimeInterval(0.1)).count == 4)
            async let a = claim(first, at: t0.addingTimeInterval(10))
            async let b = claim(second, at: t0.addingTimeInterval(10))
            let later = try await a.count + b.count
            #expect(later == 1, "two openings together went over the daily cap of 15: \(later) more after 14")
            #expect(try await first.paceStates()["capped"]?.dayCount == 15)
            #expect(try await claim(first, at: t0.addingTimeInterval(86400)).count == 10, "the cap did not reset the next day")
        }
    }
}

extension SenderConformanceTests {
    /// A message due a fraction of a millisecond after the claim's time, listed before another sender's due
    /// message, once shifted the claimed states onto the wrong messages: the returned message was still queued
    /// and was sent twice.
    @Test(arguments: StoreKind.available) func aClaimReturnsExactlyTheMessagesItMovedToSending(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let base = Date(millisecondsSince1970: 1_800_000_000_000)
            _ = try await store.enqueue([newMessage(sender: "a", now: base.addingTimeInterval(0.001))], now: base.addingTimeInterval(0.001))
            _ = try await store.enqueue([newMessage(sender: "b", now: base)], now: base)
            let now = base.addingTimeInterval(0.0006)
            let claimed = try await store.claim(limit: 10, owner: "w", now: now, leaseUntil: now.addingTimeInterval(30), excludedSenders: [])
            for record in claimed {
                let stored = try #require(try await store.message(record.id))
                #expect(
                    stored.state.status == .sending && stored.state.leaseOwner == "w", "\(record.senderID)'s message was returned but not claimed")
                #expect(stored.state.attempts == record.state.attempts && stored.state.status == record.state.status)
                #expect(stored.state.nextAttemptAt?.millisecondsSince1970 == record.state.nextAttemptAt?.millisecondsSince1970)
            }
            #expect(claimed.map(\.senderID) == ["b"])
        }
    }
}

extension SenderConformanceTests {
    @Test(arguments: StoreKind.available) func contactsAreKeptPerSenderOnceAndGoWithTheSender(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            #expect(try await store.insertSender(senderRecord("web-1", kind: .webSession)))
            let contacts = ["15550001111", "15550002222"].map { SenderContact(senderID: "web-1", contact: $0) }
            try await store.recordContacts(contacts + contacts, now: t0)
            try await store.recordContacts([SenderContact(senderID: "web-2", contact: "15550003333")], now: t0)
            let other = try await database.open()
            #expect(try await other.knownContacts(of: "web-1", among: ["15550001111", "15550003333", "15550009999"]) == ["15550001111"])
            #expect(try await other.knownContacts(of: "web-2", among: ["15550003333"]) == ["15550003333"])
            #expect(try await other.knownContacts(of: "web-1", among: []) == [])
            #expect(try await store.deleteSender("web-1") == .deleted)
            #expect(try await other.knownContacts(of: "web-1", among: ["15550001111", "15550002222"]).isEmpty, "a deleted sender's chats stayed")
        }
    }

    @Test(arguments: StoreKind.available) func aRefundGivesBackWhatAClaimTookFromThePace(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            _ = try await store.enqueue((0..<3).map { _ in newMessage(sender: "web") }, now: t0)
            let pacing = SenderPacing(
                limits: ["web": SenderLimits(rateLimit: nil, dailyCap: 2, delay: .init(min: .seconds(30), max: .seconds(30)))], random: { 0 })
            func claim(at now: Date) async throws -> Int {
                try await store.claim(limit: 10, owner: "w", now: now, leaseUntil: now.addingTimeInterval(30), excludedSenders: [], pacing: pacing)
                    .count
            }
            #expect(try await claim(at: t0) == 1)
            #expect(try await claim(at: t0) == 0, "the pause after a web session's message was not kept")
            try await store.refundPace("web", pacing: pacing, now: t0)
            let other = try await database.open()
            #expect(try await other.paceStates()["web"]?.dayCount == 0)
            #expect(try await claim(at: t0) == 1, "the refunded pause still held the sender")
            #expect(try await claim(at: t0.addingTimeInterval(31)) == 1)
            #expect(try await claim(at: t0.addingTimeInterval(62)) == 0, "the daily cap of 2 was passed after a refund")
        }
    }
}
