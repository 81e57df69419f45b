import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Campaign storage on both stores: a recipient follows every status of its message in the same
/// transaction, two openings racing to send one recipient send it once, imports skip duplicates, and the
/// day's count guards the send.
@Suite struct CampaignConformanceTests {
    static func campaign(_ id: String = "cmp_1") -> CampaignRecord {
        CampaignRecord(
            id: id, name: "n", message: #"{"text":{"body":"hi"},"type":"text"}"#, senderID: "100", pool: nil, dailySendLimit: 10,
            startDate: "2027-01-15", timeZone: "UTC", sendWindow: SendWindow(from: 540, to: 1080), maxRetries: 2, status: .running,
            createdAt: t0, updatedAt: t0)
    }

    static func send(_ recipient: CampaignRecipient) -> CampaignSend {
        CampaignSend(recipient: recipient, message: newMessage(to: recipient.phone), isRetry: recipient.status == .failed)
    }

    @Test(arguments: StoreKind.available) func aRecipientFollowsEachStatusOfItsMessage(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            try await store.insertCampaign(Self.campaign())
            #expect(try await store.campaign("cmp_1") == Self.campaign(), "a campaign did not round-trip whole")
            let phones = MessageStatus.allCases.indices.map { "+1555000\(String(format: "%04d", $0))" }
            let added = try await store.addRecipients(
                "cmp_1", phones.map { NewRecipient(phone: $0, variables: ["name": "A"]) } + [NewRecipient(phone: phones[0], variables: [:])],
                maxRetries: 2, now: t0, schedule: { _ in "2027-01-15" })
            #expect(added == Array(repeating: true, count: phones.count) + [false], "a duplicate number was added")
            let recipients = try await store.recipients(of: "cmp_1", status: nil, limit: 100, cursor: nil).recipients
            let day = CampaignDay(day: "2027-01-15", planned: 10, from: t0)
            let result = try #require(
                try await store.sendCampaignWork("cmp_1", expected: CampaignDay(), day: day, sends: recipients.map(Self.send), skips: [], now: t0))
            #expect(result.scheduled == phones.count && result.day.sent == phones.count)
            let stale = try await store.sendCampaignWork("cmp_1", expected: CampaignDay(), day: day, sends: [], skips: [], now: t0)
            #expect(stale == nil, "a send guarded by an old day count was applied")
            // The day as a plan makes it (at a time between two milliseconds) guards the next send as written.
            let later = CampaignDay(
                day: result.day.day, sent: result.day.sent, sentScheduled: result.day.sentScheduled, planned: result.day.planned + 1,
                base: result.day.base, from: t0.addingTimeInterval(0.000_4))
            let next = try await store.sendCampaignWork("cmp_1", expected: result.day, day: later, sends: [], skips: [], now: t0)
            #expect(try await store.sendCampaignWork("cmp_1", expected: try #require(next).day, day: later, sends: [], skips: [], now: t0) != nil)
            for (status, recipient) in zip(
                MessageStatus.allCases, try await store.recipients(of: "cmp_1", status: nil, limit: 100, cursor: nil).recipients)
            {
                #expect(recipient.status == .sending)
                let id = try #require(recipient.messageID)
                _ = try await store.update(id, now: t0.addingTimeInterval(1)) { state in
                    var state = state
                    state.status = status
                    if status == .failed {
                        state.failureReason = .permanentError
                        state.lastError = Classification(
                            errorClass: .permanent, code: 131049, title: "Healthy ecosystem", details: nil, httpStatus: nil)
                    }
                    return .moved(state, effects: [])
                }
            }
            let after = try await store.recipients(of: "cmp_1", status: nil, limit: 100, cursor: nil).recipients
            #expect(after.map(\.status) == MessageStatus.allCases.map(RecipientStatus.following))
            let failed = try #require(after.first { $0.status == .failed })
            #expect(failed.errorCode == 131049 && failed.failureReason == .permanentError && failed.failedAt == t0.addingTimeInterval(1))
            let counts = try await store.recipientCounts(of: "cmp_1", rule: .standard)
            #expect(counts.total == phones.count && counts.retriesScheduled == 1 && counts.failedByCode[131049] == 1)
            #expect(try await store.rearmRecipients("cmp_1", matching: RecipientFilter(errorCode: 132001), today: "2027-01-16", now: t0) == 0)
            #expect(try await store.rearmRecipients("cmp_1", matching: RecipientFilter(errorCode: 131049), today: "2027-01-16", now: t0) == 1)
            let rearmed = try #require(try await store.recipients(of: "cmp_1", status: .pending, limit: 10, cursor: nil).recipients.first)
            #expect(rearmed.seq == failed.seq && rearmed.messageID == nil && rearmed.earlierMessageIDs == [failed.messageID!])
            #expect(rearmed.errorCode == 131049 && rearmed.scheduledSendDate == "2027-01-16", "the failure history was not kept")
        }
    }

    @Test(arguments: StoreKind.available) func twoOpeningsRacingToSendARecipientSendItOnce(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            try await store.insertCampaign(Self.campaign())
            _ = try await store.addRecipients(
                "cmp_1", [NewRecipient(phone: "+15550000001", variables: [:])], maxRetries: 2, now: t0, schedule: { _ in "2027-01-15" })
            let candidates = try await store.campaignCandidates(
                of: "cmp_1", today: "2027-01-15", retryBefore: t0, rule: .standard, limit: 10)
            #expect(candidates.count == 1 && candidates.first?.optedOut == false)
            let recipient = try #require(candidates.first?.recipient)
            let day = CampaignDay(day: "2027-01-15", planned: 1, from: t0)
            var sent = 0
            for opened in [store, other] {
                let campaign = try #require(try await opened.campaign("cmp_1"))
                let result = try await opened.sendCampaignWork(
                    "cmp_1", expected: campaign.day, day: day, sends: [Self.send(recipient)], skips: [], now: t0)
                sent += (result?.scheduled ?? 0)
            }
            #expect(sent == 1, "a recipient was sent \(sent) times")
            let page = try await store.list(MessageFilter(), limit: 10, cursor: nil)
            #expect(page.messages.count == 1)
            try await store.addOptOuts([OptOut(phone: "+15550000001", source: "operator", createdAt: t0)])
            #expect(try await store.optedOut(["+15550000001", "+15550000002"]) == ["+15550000001"])
            #expect(try await store.removeOptOut("+15550000001"))
            #expect(try await !store.removeOptOut("+15550000001"))
        }
    }

    @Test(arguments: StoreKind.available) func brakeFailuresAndThePortfoliosReachAreFoundByTime(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            var campaign = Self.campaign()
            campaign.status = .paused
            campaign.pauseReason = "132015: Meta paused the template"
            campaign.pauseCode = 132015
            campaign.resumedAt = t0.addingTimeInterval(-60)
            try await store.insertCampaign(campaign)
            #expect(try await store.campaign("cmp_1") == campaign, "the pause code or resume time did not round-trip")
            let phones = ["+15550000001", "+15550000002", "+15550000003"]
            _ = try await store.addRecipients(
                "cmp_1", phones.map { NewRecipient(phone: $0, variables: [:]) }, maxRetries: 2, now: t0, schedule: { _ in "2027-01-15" })
            let recipients = try await store.recipients(of: "cmp_1", status: nil, limit: 10, cursor: nil).recipients
            var sends = recipients.map(Self.send)
            sends[2].message.senderID = "200"
            _ = try await store.sendCampaignWork(
                "cmp_1", expected: CampaignDay(), day: CampaignDay(day: "2027-01-15", planned: 3, from: t0), sends: sends, skips: [],
                now: t0)
            let failedAt = t0.addingTimeInterval(10)
            for (index, status) in [(0, MessageStatus.failed), (1, .cancelled)] {
                _ = try await store.update(sends[index].message.id, now: failedAt) { state in
                    var state = state
                    state.status = status
                    state.failureReason = .permanentError
                    state.lastError = Classification(errorClass: .permanent, code: 132015, title: "Template is paused", details: nil, httpStatus: nil)
                    return .moved(state, effects: [])
                }
            }
            #expect(try await store.campaignFailure(of: "cmp_1", codes: [132015, 132016], since: t0) == 132015)
            #expect(try await store.campaignFailure(of: "cmp_1", codes: [132015], since: failedAt.addingTimeInterval(1)) == nil)
            #expect(try await store.campaignFailure(of: "cmp_1", codes: [132016], since: t0) == nil)
            #expect(try await store.campaignFailure(of: "cmp_2", codes: [132015], since: t0) == nil)
            // The failed and the cancelled message reached nobody; the third (on sender 200) is on its way.
            #expect(try await store.campaignReach(senders: ["100"], since: t0) == 0)
            #expect(try await store.campaignReach(senders: ["100", "200"], since: t0) == 1)
            #expect(try await store.campaignReach(senders: ["100", "200"], since: t0.addingTimeInterval(1)) == 0)
            #expect(try await store.campaignReach(senders: [], since: t0) == 0)
            _ = try await store.enqueue([newMessage(to: "+15550000009", sender: "100")], now: t0)
            #expect(try await store.campaignReach(senders: ["100"], since: t0) == 0, "a message outside campaigns was counted")
            // Re-armed, the failed recipient reaches nobody until it is released again, then counts once.
            let later = t0.addingTimeInterval(60)
            #expect(try await store.rearmRecipients("cmp_1", matching: RecipientFilter(), today: "2027-01-15", now: later) == 1)
            #expect(try await store.campaignReach(senders: ["100", "200"], since: t0) == 1)
            let stored = try await store.campaign("cmp_1")!
            let again = try await store.recipients(of: "cmp_1", status: .pending, limit: 10, cursor: nil).recipients.map(Self.send)
            _ = try await store.sendCampaignWork(
                "cmp_1", expected: stored.day, day: stored.day, sends: again, skips: [], now: later)
            #expect(try await store.campaignReach(senders: ["100", "200"], since: t0) == 2)
            #expect(try await store.campaignReach(senders: ["100"], since: later) == 1, "a re-release was not counted from its own time")
        }
    }

    @Test(arguments: StoreKind.available) func messagesAreListedByTheirCampaign(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            try await store.insertCampaign(Self.campaign())
            _ = try await store.addRecipients(
                "cmp_1", [NewRecipient(phone: "+15550000001", variables: [:]), NewRecipient(phone: "+15550000002", variables: [:])],
                maxRetries: 2, now: t0, schedule: { _ in "2027-01-15" })
            let recipients = try await store.recipients(of: "cmp_1", status: nil, limit: 10, cursor: nil).recipients
            _ = try await store.sendCampaignWork(
                "cmp_1", expected: CampaignDay(), day: CampaignDay(day: "2027-01-15", planned: 10, from: t0), sends: recipients.map(Self.send),
                skips: [], now: t0)
            _ = try await store.enqueue([newMessage(to: "+15550000003")], now: t0)
            #expect(try await store.list(MessageFilter(campaignID: "cmp_1"), limit: 10, cursor: nil).messages.count == 2)
            #expect(try await store.list(MessageFilter(campaignID: "cmp_2"), limit: 10, cursor: nil).messages.isEmpty)
            let all = try await store.list(MessageFilter(), limit: 10, cursor: nil).messages
            #expect(all.count == 3)
            let campaignOf = try await store.campaigns(of: all.map(\.id))
            #expect(campaignOf.count == 2 && Set(campaignOf.values) == ["cmp_1"], "\(campaignOf)")
        }
    }
}
