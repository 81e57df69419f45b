import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// What stops or slows a whole campaign: an operator's pause, Meta pausing or disabling its template (by
/// a failed send or by a template webhook), Meta restricting its number for spam, the portfolio's shared
/// tier budget, and a recipient's retries running out.
extension CampaignTests {
    static let template = #"{"type": "template", "template": {"name": "onboarding_video", "language": {"code": "en"}}}"#

    static func templateWebhook(_ event: String) -> String {
        #"{"object": "whatsapp_business_account", "entry": [{"id": "300000000000007", "changes": [{"field": "message_template_status_update", "value": {"event": "\#(event)", "message_template_id": 77, "message_template_name": "onboarding_video", "message_template_language": "en", "reason": "LOW_QUALITY"}}]}]}"#
    }

    @Test(arguments: StoreKind.available) func aTemplateMetaPausedPausesTheCampaignAndResumingSendsTheHeldRecipientsAgain(
        _ kind: StoreKind
    ) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            try await h.script(#"{"times": 1, "error": {"code": 132015, "title": "Template is paused"}}"#)
            let id = try await Self.campaign(h, limit: 10, recipients: 5, message: Self.template)
            try await Self.runDay(h)
            var view = try await Self.view(h, id)
            #expect(view["status"] as? String == "paused", "\(view.text)")
            #expect((view["pause_reason"] as? String)?.hasPrefix("132015: Meta paused the template") == true, "\(view.text)")
            #expect((view["pause_reason"] as? String)?.contains("onboarding_video") == true)
            #expect(Self.campaignSends(h).count == 1, "the campaign went on sending a paused template")
            #expect(view["failed"] as? Int == 1)
            try await Self.runDay(h)
            #expect(Self.campaignSends(h).count == 1, "a paused campaign sent")

            let resumed = try await h.call(.POST, "/v1/campaigns/\(id)/resume")
            #expect(resumed.status == 200 && resumed["status"] as? String == "scheduled", "\(resumed.text)")
            #expect(resumed["pause_reason"] is NSNull)
            try await Self.runDay(h)
            try await h.engine.campaignScheduler.runOnce(now: h.clock.now())
            view = try await Self.view(h, id)
            #expect(view["sent"] as? Int == 5, "the recipient the paused template failed was not sent again: \(view.text)")
            #expect(view["status"] as? String == "completed")
            #expect(Self.campaignSends(h).count == 6)
        }
    }

    @Test(arguments: StoreKind.available) func templateWebhooksPauseAndReinstateTheCampaignsSendingIt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            let id = try await Self.campaign(h, limit: 10, recipients: 4, message: Self.template)
            let other = try await Self.campaign(h, limit: 10, recipients: 2, first: 100)
            #expect(try await h.webhook(Self.templateWebhook("PAUSED")).status == 200)
            var view = try await Self.view(h, id)
            #expect(view["status"] as? String == "paused", "\(view.text)")
            #expect((view["pause_reason"] as? String)?.hasPrefix("132015") == true, "\(view.text)")
            #expect(try await Self.view(h, other)["status"] as? String == "scheduled", "a campaign without that template was paused")
            try await Self.runDay(h)
            #expect(Self.campaignSends(h).count == 2, "only the other campaign sends: \(Self.campaignSends(h))")

            #expect(try await h.webhook(Self.templateWebhook("REINSTATED")).status == 200)
            view = try await Self.view(h, id)
            #expect(view["status"] as? String == "scheduled", "\(view.text)")
            try await Self.runDay(h)
            view = try await Self.view(h, id)
            #expect(view["sent"] as? Int == 4, "\(view.text)")

            // An operator's pause is not lifted by Meta reinstating a template.
            let third = try await Self.campaign(h, limit: 10, recipients: 1, first: 200, message: Self.template)
            #expect(try await h.call(.POST, "/v1/campaigns/\(third)/pause").status == 200)
            #expect(try await h.webhook(Self.templateWebhook("REINSTATED")).status == 200)
            view = try await Self.view(h, third)
            #expect(view["status"] as? String == "paused" && view["pause_reason"] as? String == "operator", "\(view.text)")
        }
    }

    @Test(arguments: StoreKind.available) func aNumberRestrictedForSpamPausesItsCampaignUntilAnOperatorResumesIt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            try await h.script(#"{"times": 1, "error": {"code": 131048, "title": "Spam rate limit hit"}}"#)
            let id = try await Self.campaign(h, limit: 10, recipients: 3)
            try await Self.runDay(h)
            var view = try await Self.view(h, id)
            #expect(view["status"] as? String == "paused", "\(view.text)")
            #expect((view["pause_reason"] as? String)?.hasPrefix("131048: Meta restricted the number for spam") == true, "\(view.text)")
            #expect(view["sending"] as? Int == 1, "the refused message waits for its number, not failed: \(view.text)")
            #expect(try await h.call(.GET, "/v1/senders/\(Self.sender)")["status"] as? String == "paused")

            #expect(try await h.call(.POST, "/v1/senders/\(Self.sender)/resume").status == 200)
            #expect(try await h.call(.POST, "/v1/campaigns/\(id)/resume").status == 200)
            try await Self.runDay(h)
            try await h.engine.campaignScheduler.runOnce(now: h.clock.now())
            view = try await Self.view(h, id)
            #expect(view["sent"] as? Int == 3 && view["status"] as? String == "completed", "the old restriction paused it again: \(view.text)")
        }
    }

    @Test(arguments: StoreKind.available) func campaignsOnNumbersOfOnePortfolioShareItsTierBudget(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let second = "400000000000005"
            for number in [Self.sender, second] {
                _ = try await h.call(
                    .POST, "/_sim/numbers/\(number)",
                    json: #"{"health_status": "AVAILABLE", "quality_rating": "GREEN", "messaging_limit": "TIER_250"}"#, auth: nil,
                    base: h.simulatorURL)
                let created = try await h.call(
                    .POST, "/v1/senders",
                    json:
                        #"{"kind": "cloud_api", "id": "\#(number)", "access_token": "tok-\#(number)", "rate_limit": null, "waba_id": "300000000000007"}"#
                )
                #expect(created.status == 201 && created["messaging_limit"] as? String == "TIER_250", "\(created.text)")
            }
            let first = try await Self.campaign(h, limit: 200, recipients: 200)
            let other = try await Self.campaign(h, limit: 200, recipients: 200, sender: second, first: 1000)
            try await Self.runDay(h)
            let sent = [try await Self.view(h, first), try await Self.view(h, other)].map { $0["sent"] as? Int ?? 0 }
            #expect(sent.reduce(0, +) == 250, "one portfolio's 250 unique recipients a day were exceeded: \(sent)")
            #expect(h.simulator.received.count == 250)
            // A day later the moving 24 h has passed: the other 150 go.
            try await Self.runDay(h)
            #expect(h.simulator.received.count == 400)
            #expect(Set(h.simulator.received.compactMap(\.to)).count == 400)
        }
    }

    @Test(arguments: StoreKind.available) func aRecipientFailingEveryDayEndsFailedAfterMaxRetriesPlusOneSends(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await Self.addSender(h)
            try await h.script(#"{"to": "\#(Self.phone(0).dropFirst())", "error": {"code": 131049}}"#)
            let id = try await Self.campaign(h, limit: 10, recipients: 2, extra: #", "max_retries": 2"#)
            for _ in 0..<5 { try await Self.runDay(h) }
            try await h.engine.campaignScheduler.runOnce(now: h.clock.now())
            let view = try await Self.view(h, id)
            #expect(h.simulator.received.filter { $0.to == Self.phone(0) }.count == 3, "not max_retries + 1 sends")
            #expect(view["failed"] as? Int == 1 && view["retries_scheduled"] as? Int == 0, "\(view.text)")
            #expect(view["status"] as? String == "completed", "\(view.text)")
            let failed = try await h.call(.GET, "/v1/campaigns/\(id)/recipients?status=failed")
            let recipient = try #require((failed["recipients"] as? [[String: Any]])?.first)
            #expect(recipient["retry_count"] as? Int == 2 && recipient["max_retries"] as? Int == 2, "\(failed.text)")
        }
    }

    @Test(arguments: StoreKind.available) func aReleaseLargerThanAChunkIsQueuedWholeInOneLook(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            // A tier above the day (the simulator's TIER_1K would hold the portfolio to 1,000).
            _ = try await h.call(
                .POST, "/_sim/numbers/\(Self.sender)",
                json: #"{"health_status": "AVAILABLE", "quality_rating": "GREEN", "messaging_limit": "TIER_10K"}"#,
                auth: nil, base: h.simulatorURL)
            try await Self.addSender(h)
            let id = try await Self.campaign(h, limit: 3000, recipients: 2500)
            // In the day's last minute the whole day is due at once.
            h.clock.advance(by: .seconds(15 * 3600 + 59 * 60 + 30))
            #expect(try await h.engine.campaignScheduler.runOnce(now: h.clock.now()) == 2500)
            let view = try await Self.view(h, id)
            #expect(view["sending"] as? Int == 2500 && view["sent_today"] as? Int == 2500, "\(view.text)")
        }
    }
}
