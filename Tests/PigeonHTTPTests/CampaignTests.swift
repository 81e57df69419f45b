import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Campaigns end to end on both stores, over simulated days with the harness's manual clock (which starts
/// at 2027-01-15 08:00 UTC): the daily limit, retries in the spare capacity, permanent errors, re-arming,
/// opt-outs, and counters that always add up.
@Suite struct CampaignTests {
    static let sender = "400000000000004"

    /// A sender without a rate ceiling, so the simulated day is only paced by the campaign.
    static func addSender(_ h: Harness) async throws {
        let created = try await h.call(
            .POST, "/v1/senders", json: #"{"kind": "cloud_api", "id": "\#(sender)", "access_token": "tok-campaign", "rate_limit": null}"#)
        #expect(created.status == 201, "\(created.text)")
    }

    static func phone(_ index: Int) -> String { "+1555300\(String(format: "%04d", index))" }

    /// Creates and starts a campaign with `recipients` imported as CSV; returns its id.
    static func campaign(
        _ h: Harness, limit: Int, recipients: Int, extra: String = "", sender: String = sender, first: Int = 0,
        message: String = #"{"type": "text", "text": {"body": "Hi {{name}}, welcome"}}"#
    ) async throws -> String {
        let created = try await h.call(
            .POST, "/v1/campaigns",
            json: #"""
                {"name": "onboarding", "sender_id": "\#(sender)", "daily_send_limit": \#(limit), "start_date": "2027-01-15",
                 "message": \#(message)\#(extra)}
                """#)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created["id"] as? String)
        let csv = "phone,name\n" + (first..<first + recipients).map { "\(phone($0)),Person \($0)\n" }.joined()
        let imported = try await h.call(.POST, "/v1/campaigns/\(id)/recipients", json: csv, contentType: "text/csv")
        #expect(imported.status == 200, "\(imported.text)")
        #expect(imported["added"] as? Int == recipients)
        let started = try await h.call(.POST, "/v1/campaigns/\(id)/start")
        #expect(started.status == 200, "\(started.text)")
        return id
    }

    /// Looks as the scheduler does (every 30 minutes, and in the day's last minute) from now until the end of
    /// the local (UTC) day, sending what it queues; leaves the clock at the next midnight.
    static func runDay(_ h: Harness) async throws {
        let calendar = LocalCalendar(timeZone: "UTC")
        let end = calendar.nextDayStart(after: h.clock.now())
        while h.clock.now() < end {
            try await h.engine.campaignScheduler.runOnce(now: h.clock.now())
            while try await h.dispatch() > 0 {}
            let next = h.clock.now().addingTimeInterval(1800)
            let last = end.addingTimeInterval(-30)
            if h.clock.now() < last && next > last {
                h.clock.advance(by: .milliseconds(Int64(last.timeIntervalSince(h.clock.now()) * 1000)))
            } else {
                h.clock.advance(by: .milliseconds(Int64(min(next, end).timeIntervalSince(h.clock.now()) * 1000)))
            }
        }
    }

    /// The campaign's view, checked to add up.
    static func view(_ h: Harness, _ id: String) async throws -> JSONClient.Reply {
        let view = try await h.call(.GET, "/v1/campaigns/\(id)")
        let parts = ["pending", "sending", "sent", "delivered", "read", "failed", "skipped"].map { view[$0] as? Int ?? -1 }
        #expect(parts.reduce(0, +) == view["recipients"] as? Int, "the counters do not add up: \(view.text)")
        return view
    }

    static func campaignSends(_ h: Harness) -> [String] {
        h.simulator.received.filter { $0.phoneNumberID == sender }.compactMap(\.to)
    }

    @Test(arguments: StoreKind.available) func theDailyLimitGoesToScheduledRecipientsFirstAndRetriesInTheSpareCapacity(
        _ kind: StoreKind
    ) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            // 450 recipients at 250 a day: 250 on the first day, 200 on the second. The first 100 are refused once
            // with 131049 (Meta's per-user marketing limit: a later day may succeed).
            for index in 0..<100 {
                try await h.script(#"{"to": "\#(Self.phone(index).dropFirst())", "times": 1, "error": {"code": 131049}}"#)
            }
            let id = try await Self.campaign(h, limit: 250, recipients: 450)
            try await Self.runDay(h)
            var view = try await Self.view(h, id)
            #expect(Self.campaignSends(h).count == 250, "day 1 sent \(Self.campaignSends(h).count)")
            #expect(view["failed"] as? Int == 100)
            #expect(view["sent"] as? Int == 150)
            #expect(view["pending"] as? Int == 200)
            #expect(view["retries_scheduled"] as? Int == 100)
            let tooSoon = h.simulator.received.filter { $0.to == Self.phone(0) }
            #expect(tooSoon.count == 1, "131049 was retried the same day")

            // Day 2: the 200 scheduled, then 50 of the 100 failures; the other 50 wait for day 3.
            try await Self.runDay(h)
            view = try await Self.view(h, id)
            #expect(Self.campaignSends(h).count == 500, "day 2 sent \(Self.campaignSends(h).count - 250), not 200 + 50")
            #expect(view["sent"] as? Int == 400)
            #expect(view["pending"] as? Int == 0)
            #expect(view["failed"] as? Int == 50)
            #expect(view["retries_scheduled"] as? Int == 50)

            try await Self.runDay(h)
            try await h.engine.campaignScheduler.runOnce(now: h.clock.now())
            view = try await Self.view(h, id)
            #expect(view["sent"] as? Int == 450)
            #expect(view["status"] as? String == "completed", "\(view.text)")
            // Nobody got the message twice: one accepted send per number.
            let accepted = h.simulator.received.filter { $0.phoneNumberID == Self.sender && $0.responseStatus == 200 }.compactMap(\.to)
            #expect(accepted.count == 450 && Set(accepted).count == 450)
            let retried = try await h.call(.GET, "/v1/campaigns/\(id)/recipients?limit=1")
            let first = try #require((retried["recipients"] as? [[String: Any]])?.first)
            #expect(first["status"] as? String == "sent")
            #expect((first["earlier_message_ids"] as? [String])?.count == 1, "the failed send's message id was not kept")
        }
    }

    @Test(arguments: StoreKind.available) func aPermanentErrorIsNotRetriedUntilAnOperatorReArmsIt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            try await h.script(#"{"to": "\#(Self.phone(1).dropFirst())", "times": 1, "error": {"code": 132001}}"#)
            let id = try await Self.campaign(h, limit: 10, recipients: 3)
            try await Self.runDay(h)
            try await Self.runDay(h)
            var view = try await Self.view(h, id)
            #expect(Self.campaignSends(h).count == 3, "a missing template was retried")
            #expect(view["failed"] as? Int == 1)
            #expect(view["retries_scheduled"] as? Int == 0)
            #expect(view["status"] as? String == "completed")
            let byCode = view["failed_by_error_code"] as? [[String: Any]]
            #expect(byCode?.first?["error_code"] as? Int == 132001 && byCode?.first?["count"] as? Int == 1, "\(view.text)")
            let rearmed = try await h.call(.POST, "/v1/campaigns/\(id)/recipients/retry", json: #"{"error_code": 132001}"#)
            #expect(rearmed["rearmed"] as? Int == 1, "\(rearmed.text)")
            try await Self.runDay(h)
            view = try await Self.view(h, id)
            #expect(view["sent"] as? Int == 3, "\(view.text)")
            #expect(Self.campaignSends(h).count == 4)
        }
    }

    @Test(arguments: StoreKind.available) func optedOutNumbersAreSkippedIncludingOnesThatOptOutWhileItRuns(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            let optOut = try await h.call(.POST, "/v1/opt-outs", json: #"{"phone": "+1 555 300 0000"}"#)
            #expect(optOut.status == 201, "\(optOut.text)")
            // Recipient 1 says STOP by WhatsApp after the campaign was started.
            let id = try await Self.campaign(h, limit: 10, recipients: 3)
            let stop =
                #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"\#(Self.sender)"},"contacts":[{"profile":{"name":"B"},"wa_id":"15553000001"}],"messages":[{"from":"15553000001","id":"wamid.STOP1","timestamp":"1800000004","type":"text","text":{"body":"  stop "}}]}}]}]}"#
            #expect(try await h.webhook(stop).status == 200)
            try await h.processWebhooks()
            try await Self.runDay(h)
            let view = try await Self.view(h, id)
            #expect(view["skipped"] as? Int == 2, "\(view.text)")
            #expect(Self.campaignSends(h) == [Self.phone(2)])
            let skipped = try await h.call(.GET, "/v1/campaigns/\(id)/recipients?status=skipped")
            #expect((skipped["recipients"] as? [[String: Any]])?.allSatisfy { $0["skip_reason"] as? String == "opted_out" } == true)
            let list = try await h.call(.GET, "/v1/opt-outs")
            #expect(Set((list["opt_outs"] as? [[String: Any]] ?? []).compactMap { $0["phone"] as? String }) == ["+15553000000", "+15553000001"])
            // A single message is not affected unless it asks.
            _ = try await h.send(to: "+15553000000")
            let refused = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15553000000", "type": "text", "text": {"body": "hi"}, "respect_opt_out": true}"#)
            #expect(refused.status == 422 && refused.text.contains("opted_out"), "\(refused.text)")
            let batch = try await h.call(
                .POST, "/v1/messages/batch",
                json:
                    #"{"messages": [{"to": "+15553000009", "type": "text", "text": {"body": "hi"}}, {"to": "+15553000001", "type": "text", "text": {"body": "hi"}, "respect_opt_out": true}]}"#
            )
            #expect(batch.status == 422 && batch.text.contains("messages[1]"), "\(batch.text)")
        }
    }

    @Test(arguments: StoreKind.available) func importsReportInvalidRowsByLineAndDuplicatesAndChangeNothingForBadRequests(
        _ kind: StoreKind
    ) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            let created = try await h.call(
                .POST, "/v1/campaigns",
                json: #"{"name": "n", "sender_id": "\#(Self.sender)", "message": {"type": "text", "text": {"body": "Hi {{name}}"}}}"#)
            let id = try #require(created["id"] as? String)
            #expect(created["daily_send_limit"] as? Int == 1000, "the default is the sender's tier (the simulator's TIER_1K): \(created.text)")
            let csv =
                "phone,name\n+15553000001,Ann\nnot a phone,Bob\n\"+1 (555) 300-0001\",Ann again\n+15553000002\n+15553000003,\"Smith, \"\"J\"\"\"\n"
            let imported = try await h.call(.POST, "/v1/campaigns/\(id)/recipients", json: csv, contentType: "text/csv")
            #expect(imported["added"] as? Int == 2, "\(imported.text)")
            #expect(imported["duplicates"] as? Int == 1)
            let lines = (imported["invalid"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [3, 5], "\(imported.text)")
            let json = try await h.call(
                .POST, "/v1/campaigns/\(id)/recipients",
                json: #"{"recipients": [{"phone": "+15553000009"}, {"phone": "+15553000008", "variables": {"name": "Z"}}]}"#)
            #expect(json["added"] as? Int == 1, "\(json.text)")
            #expect((json["invalid"] as? [[String: Any]])?.first?["line"] as? Int == 0)
            let list = try await h.call(.GET, "/v1/campaigns/\(id)/recipients")
            let names = (list["recipients"] as? [[String: Any]] ?? []).compactMap { ($0["variables"] as? [String: String])?["name"] }
            #expect(names == ["Ann", "Smith, \"J\"", "Z"])
            let message = #""message": {"type": "text", "text": {"body": "hi"}}"#
            for (body, status) in [
                (#"{"name": "x", \#(message), "daily_send_limit": 0}"#, 400),
                (#"{"name": "x", "message": {"to": "+15550001111", "type": "text", "text": {"body": "hi"}}}"#, 400),
                (#"{"name": "\n", \#(message)}"#, 400),
                (#"{"name": "x", \#(message), "start_date": "2027-1-15"}"#, 400),
                (#"{"name": "x", \#(message), "send_window": {"from": "9:00", "to": "18:00"}}"#, 400),
                (#"{"name": "x", \#(message), "time_zone": "Mars/Olympus"}"#, 422),
                (#"{"name": "x", \#(message), "start_date": "2027-02-30"}"#, 422),
                (#"{"name": "x", \#(message), "send_window": {"from": "18:00", "to": "09:00"}}"#, 422),
            ] {
                let refused = try await h.call(.POST, "/v1/campaigns", json: body)
                #expect(refused.status == status, "\(body) → \(refused.text)")
            }
            let campaigns = try await h.call(.GET, "/v1/campaigns")
            #expect((campaigns["campaigns"] as? [Any])?.count == 1)
            let pause = try await h.call(.POST, "/v1/campaigns/\(id)/pause")
            #expect(pause.status == 409, "a draft cannot be paused: \(pause.text)")
            let export = try await h.call(.GET, "/v1/campaigns/\(id)/recipients.csv")
            #expect(export.text.split(separator: "\n").count == 4, "\(export.text)")
        }
    }
}
