import Foundation
import MetaSimulator
import PigeonCore
import PigeonTestSupport
import Testing

/// `/v1/senders` over HTTP against both stores: senders are created, read, changed and deleted; their
/// credentials are sealed and never shown; each number sends with its own token; an expired token pauses
/// its number until a new one is set; operators pause, resume, disable and delete.
@Suite struct SenderAPITests {
    static let second = "200000000000002"
    static let secondToken = "tok-second-AAAA1111"

    /// Creates the second Cloud API number (with `secondToken`) and returns the reply.
    @discardableResult
    func createSecond(_ h: Harness, extra: String = "") async throws -> JSONClient.Reply {
        let reply = try await h.call(
            .POST, "/v1/senders", json: #"{"kind": "cloud_api", "id": "\#(Self.second)", "access_token": "\#(Self.secondToken)"\#(extra)}"#)
        #expect(reply.status == 201, "\(reply.text)")
        return reply
    }

    /// The token digests of the requests the simulator received for `phone`.
    func tokens(_ h: Harness, phone: String) -> [String?] {
        h.simulator.received.filter { $0.phoneNumberID == phone }.map(\.tokenSHA256)
    }

    @Test(arguments: StoreKind.available) func aNumberIsCreatedReadAndListedAndItsTokenIsSealed(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let created = try await createSecond(h, extra: #", "pool": "bulk", "rate_limit": 40, "waba_id": "555""#)
            #expect(created.headers["location"] == "/v1/senders/\(Self.second)")
            #expect(created["status"] as? String == "connected")
            #expect(created["pool"] as? String == "bulk")
            #expect(created["rate_limit"] as? Double == 40)
            #expect(created["has_access_token"] as? Bool == true)
            #expect(created["health_status"] as? String == "AVAILABLE", "the new number was not checked: \(created.text)")
            #expect(created["quality_rating"] as? String == "GREEN")
            #expect(!created.text.contains(Self.secondToken), "the token was returned")
            let list = try await h.call(.GET, "/v1/senders")
            let ids = (list["senders"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [Harness.sender, Self.second], "the configured number is a sender too")
            #expect(!list.text.contains(Self.secondToken) && !list.text.contains("test-token"))
            #expect(try await h.call(.GET, "/v1/senders/\(Self.second)")["waba_id"] as? String == "555")
            #expect(try await h.call(.GET, "/v1/senders/300").status == 404)
            let again = try await h.call(.POST, "/v1/senders", json: #"{"kind": "cloud_api", "id": "\#(Self.second)", "access_token": "x"}"#)
            #expect(again.status == 409 && again.error == "sender_exists")

            let stored = try #require(try await h.store.sender(Self.second))
            #expect(!stored.sealedSecrets.isEmpty)
            #expect(stored.sealedSecrets.firstRange(of: Array(Self.secondToken.utf8)) == nil, "the token is stored in the clear")
            if kind == .sqlite {
                let files = try FileManager.default.contentsOfDirectory(atPath: h.database.directory.path)
                for file in files {
                    let bytes = try Data(contentsOf: h.database.directory.appendingPathComponent(file))
                    #expect(bytes.firstRange(of: Data(Self.secondToken.utf8)) == nil, "\(file) holds the token in the clear")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available) func badSenderRequestsSayWhatToFixAndChangeNothing(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let cases: [(String, Int, String)] = [
                (#"{"id": "300", "access_token": "t"}"#, 400, "missing_kind"),
                (#"{"kind": "fax", "id": "300"}"#, 400, "invalid_kind"),
                (#"{"kind": "cloud_api", "id": "+1555", "access_token": "t"}"#, 400, "invalid_id"),
                (#"{"kind": "cloud_api", "id": "300"}"#, 400, "missing_access_token"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "has space"}"#, 400, "invalid_secret"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "rate_limit": 5000}"#, 400, "invalid_rate_limit"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "rate_limit": 5e-324}"#, 400, "invalid_rate_limit"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "daily_cap": 0}"#, 400, "invalid_daily_cap"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "time_zone": "Mars/Base"}"#, 422, "unknown_time_zone"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "colour": "red"}"#, 400, "unknown_field"),
                (#"{"kind": "cloud_api", "id": "300", "access_token": "t", "typing": true}"#, 422, "not_for_this_kind"),
                (#"{"kind": "web_session", "id": "web-1", "bridge": {"url": "http://127.0.0.1:3000"}}"#, 400, "missing_webhook_secret"),
                (#"{"kind": "web_session", "id": "web-1", "bridge": {"url": "ftp://x", "webhook_secret": "s"}}"#, 400, "invalid_bridge"),
                (
                    #"{"kind": "web_session", "id": "web-1", "bridge": {"url": "http://h", "webhook_secret": "s"}, "delay": {"min": "40s", "max": "25s"}}"#,
                    422, "unusable_delay"
                ),
                ("[1]", 400, "invalid_body"),
            ]
            for (body, status, code) in cases {
                let reply = try await h.call(.POST, "/v1/senders", json: body)
                #expect(reply.status == status && reply.error == code, "\(body) → \(reply.status) \(reply.text)")
                #expect(!reply.text.contains("has space"), "an error showed the secret")
            }
            let patch = try await h.call(.PATCH, "/v1/senders/\(Harness.sender)", json: #"{"kind": "web_session"}"#)
            #expect(patch.status == 400 && patch.error == "immutable_field")
            let senders = try await h.store.senders()
            #expect(senders.map(\.id) == [Harness.sender])
        }
    }

    @Test(arguments: StoreKind.available) func eachNumberSendsWithItsOwnTokenAndUnknownSendersAreRefused(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await createSecond(h)
            _ = try await h.send(extra: #", "sender_id": "\#(Self.second)""#)
            _ = try await h.send(to: "+15550002222")
            #expect(try await h.dispatch() == 2)
            #expect(tokens(h, phone: Self.second) == [MetaSimulator.tokenDigest(Self.secondToken)])
            #expect(tokens(h, phone: Harness.sender) == [MetaSimulator.tokenDigest("test-token")])
            let unknown = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "x"}, "sender_id": "999"}"#)
            #expect(unknown.status == 422 && unknown.error == "unknown_sender", "\(unknown.text)")
        }
    }

    @Test(arguments: StoreKind.available) func anExpiredTokenPausesItsNumberAndANewTokenResumesItOnItsOwn(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await createSecond(h)
            let revoke = try await h.call(.POST, "/_sim/tokens/revoke", json: #"{"token": "\#(Self.secondToken)"}"#, auth: nil, base: h.simulatorURL)
            #expect(revoke.status == 200)
            let id = try await h.send(extra: #", "sender_id": "\#(Self.second)""#)
            try await h.dispatch()
            #expect(try await h.message(id)["status"] as? String == "queued", "a sender-level error failed the message")
            let paused = try await h.call(.GET, "/v1/senders/\(Self.second)")
            #expect(paused["status"] as? String == "paused")
            #expect((paused["pause_reason"] as? [String: Any])?["error_code"] as? Int == 190)
            #expect(try await h.dispatch() == 0, "a paused number sent")

            let patched = try await h.call(.PATCH, "/v1/senders/\(Self.second)", json: #"{"access_token": "tok-second-NEW"}"#)
            #expect(patched.status == 200)
            #expect(patched["status"] as? String == "connected", "a new token did not resume the number: \(patched.text)")
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(id)["status"] as? String == "sent")
            #expect(tokens(h, phone: Self.second).last == MetaSimulator.tokenDigest("tok-second-NEW"))
        }
    }

    @Test(arguments: StoreKind.available) func operatorsPauseResumeDisableAndEnable(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let pause = try await h.call(.POST, "/v1/senders/\(Harness.sender)/pause")
            #expect(pause["status"] as? String == "paused")
            #expect((pause["pause_reason"] as? [String: Any])?["by"] as? String == "operator")
            let id = try await h.send()
            #expect(try await h.dispatch() == 0, "a paused sender sent")
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/resume")["status"] as? String == "connected")
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/resume").error == "not_paused")
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(id)["status"] as? String == "sent")

            let disabled = try await h.call(.PATCH, "/v1/senders/\(Harness.sender)", json: #"{"enabled": false}"#)
            #expect(disabled["status"] as? String == "disabled" && disabled["enabled"] as? Bool == false)
            let waiting = try await h.send()
            #expect(try await h.dispatch() == 0, "a disabled sender sent")
            #expect(try await h.call(.POST, "/v1/senders/\(Harness.sender)/connect").error == "disabled")
            let enabled = try await h.call(.PATCH, "/v1/senders/\(Harness.sender)", json: #"{"enabled": true}"#)
            #expect(enabled["status"] as? String == "connected", "enabling did not check and connect the number: \(enabled.text)")
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(waiting)["status"] as? String == "sent")
        }
    }

    @Test(arguments: StoreKind.available) func aSenderWithPinnedMessagesIsDeletedOnlyWhenForced(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await createSecond(h)
            try await h.call(.POST, "/v1/senders/\(Self.second)/pause")
            let id = try await h.send(extra: #", "sender_id": "\#(Self.second)""#)
            let refused = try await h.call(.DELETE, "/v1/senders/\(Self.second)")
            #expect(refused.status == 409 && refused.error == "sender_has_messages", "\(refused.text)")
            #expect(try await h.call(.DELETE, "/v1/senders/\(Self.second)?force=maybe").status == 400)
            let forced = try await h.call(.DELETE, "/v1/senders/\(Self.second)?force=true")
            #expect(forced.status == 200 && forced["cancelled_messages"] as? Int == 1, "\(forced.text)")
            #expect(try await h.message(id)["status"] as? String == "cancelled")
            #expect(try await h.call(.GET, "/v1/senders/\(Self.second)").status == 404)
            #expect(try await h.call(.DELETE, "/v1/senders/\(Self.second)").status == 404)
        }
    }

    @Test(arguments: StoreKind.available) func aWebSessionTakesTextButNotTemplates(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let web = try await h.call(
                .POST, "/v1/senders",
                json:
                    #"{"kind": "web_session", "id": "support-1", "bridge": {"url": "http://127.0.0.1:9", "api_key": "k-1", "webhook_secret": "whsec-1"}}"#
            )
            #expect(web.status == 201, "\(web.text)")
            #expect(web["daily_cap"] as? Int == 300)
            #expect((web["delay"] as? [String: Any])?["min"] as? String == "25s")
            #expect((web["bridge"] as? [String: Any])?["has_webhook_secret"] as? Bool == true)
            #expect(!web.text.contains("whsec-1") && !web.text.contains("k-1\""))
            let template = try await h.call(
                .POST, "/v1/messages",
                json: #"{"to": "+15550001111", "type": "template", "template": {"name": "hi", "language": {"code": "en"}}, "sender_id": "support-1"}"#
            )
            #expect(template.status == 422 && template.error == "unsupported_by_sender", "\(template.text)")
            let text = try await h.call(.POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "x"}, "sender_id": "support-1"}"#)
            #expect(text.status == 202)
        }
    }

    @Test(arguments: StoreKind.available) func aNumberMetaReportsBlockedNeedsAttentionUntilItIsAvailableAgain(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let blocked = try await h.call(
                .POST, "/_sim/numbers/\(Harness.sender)",
                json: #"{"health_status": "BLOCKED", "quality_rating": "RED", "messaging_limit": "TIER_250"}"#,
                auth: nil, base: h.simulatorURL)
            #expect(blocked.status == 201)
            let monitor = h.engine.senderMonitor
            #expect(try await monitor.runOnce(now: h.clock.now()).isEmpty, "the number was checked again before its interval")
            h.clock.advance(by: .seconds(301))
            #expect(try await monitor.runOnce(now: h.clock.now()) == [Harness.sender])
            let sender = try await h.call(.GET, "/v1/senders/\(Harness.sender)")
            #expect(sender["status"] as? String == "needs_attention")
            #expect(sender["quality_rating"] as? String == "RED" && sender["messaging_limit"] as? String == "TIER_250")
            _ = try await h.send()
            #expect(try await h.dispatch() == 0, "a blocked number sent")
            _ = try await h.call(
                .POST, "/_sim/numbers/\(Harness.sender)",
                json: #"{"health_status": "AVAILABLE", "quality_rating": "YELLOW", "messaging_limit": "TIER_250"}"#, auth: nil, base: h.simulatorURL)
            h.clock.advance(by: .seconds(301))
            try await monitor.runOnce(now: h.clock.now())
            #expect(try await h.call(.GET, "/v1/senders/\(Harness.sender)")["status"] as? String == "connected")
            #expect(try await h.dispatch() == 1)
        }
    }
}

extension SenderAPITests {
    @Test(arguments: StoreKind.available) func accountWebhooksRecheckTheNumbersAndABanStopsThem(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await createSecond(h, extra: #", "waba_id": "300000000000007""#)
            _ = try await h.call(
                .POST, "/_sim/numbers/200000000000002",
                json: #"{"health_status": "AVAILABLE", "quality_rating": "YELLOW", "messaging_limit": "TIER_10K"}"#,
                auth: nil, base: h.simulatorURL)
            let quality =
                #"{"object": "whatsapp_business_account", "entry": [{"id": "300000000000007", "changes": [{"field": "phone_number_quality_update", "value": {"display_phone_number": "15550001234", "event": "THROUGHPUT_UPGRADE", "max_daily_conversations_per_business": "TIER_10K"}}]}]}"#
            #expect(try await h.webhook(quality).status == 200)
            try await eventually("the number's health read again") {
                try await h.call(.GET, "/v1/senders/200000000000002")["messaging_limit"] as? String == "TIER_10K"
            }
            #expect(try await h.call(.GET, "/v1/senders/200000000000002")["quality_rating"] as? String == "YELLOW")
            let ban =
                #"{"object": "whatsapp_business_account", "entry": [{"id": "300000000000007", "changes": [{"field": "account_update", "value": {"event": "DISABLED_UPDATE", "ban_info": {"waba_ban_state": "DISABLE", "waba_ban_date": "2027-01-15"}}}]}]}"#
            #expect(try await h.webhook(ban).status == 200)
            try await eventually("the banned number out of sending") {
                try await h.call(.GET, "/v1/senders/200000000000002")["status"] as? String == "needs_attention"
            }
            #expect(
                try await h.call(.GET, "/v1/senders/\(Harness.sender)")["status"] as? String == "connected", "another account's number was banned")
        }
    }
}
