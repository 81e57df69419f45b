import Foundation
import PigeonCore
import PigeonEngine
import PigeonSQLite
import PigeonServer
import PigeonTestSupport
import Testing
import WhatsAppCloud

/// Messages that name media library assets, over loopback with the simulator: a media error (answered at
/// once, or reported later by webhook) makes Pigeon upload the asset again, once, and retry with the fresh
/// id; a failed re-upload or a second media error dead-letters with `media_refresh_failed`; media Pigeon did
/// not upload gets the normal classification.
@Suite struct MediaRefreshTests {
    static let template =
        #"{"to": "+15550001111", "type": "template", "template": {"name": "onboarding", "language": {"code": "en"}, "components": [{"type": "header", "parameters": [{"type": "video", "video": {"media_key": "onboarding-video-hi"}}]}]}}"#

    /// Registers the onboarding video and returns its media id on the default sender.
    func registerVideo(_ h: Harness) async throws -> String {
        let reply = try await MediaTests().register(h)
        #expect(reply.status == 201, "\(reply.text)")
        return try #require(((reply.json["senders"] as? [[String: Any]])?.first)?["media_id"] as? String)
    }

    func sendTemplate(_ h: Harness) async throws -> String {
        let reply = try await h.call(.POST, "/v1/messages", json: Self.template)
        #expect(reply.status == 202, "\(reply.text)")
        return try #require(reply["id"] as? String)
    }

    /// The asset's upload history on the default sender: (reason, old id, new id).
    func refreshes(_ h: Harness) async throws -> [(String?, String?, String?)] {
        let asset = try await h.call(.GET, "/v1/media/onboarding-video-hi")
        let history = ((asset.json["senders"] as? [[String: Any]])?.first?["history"] as? [[String: Any]]) ?? []
        return history.map { ($0["reason"] as? String, $0["old_media_id"] as? String, $0["new_media_id"] as? String) }
    }

    /// The media id in the header of the simulator's `index`th received send (nil when there is none).
    func sentMediaID(_ h: Harness, _ index: Int) throws -> String? {
        let received = h.simulator.received
        guard received.indices.contains(index) else { return nil }
        let body = try #require(received[index].body.data(using: .utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let template = object["template"] as? [String: Any]
        let header = (template?["components"] as? [[String: Any]])?.first
        return (((header?["parameters"] as? [[String: Any]])?.first)?["video"] as? [String: Any])?["id"] as? String
    }

    @Test(arguments: StoreKind.available) func aRejectedAssetIdIsUploadedOnceAndTheRetryUsesTheFreshId(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            try await h.script(#"{"media_id": "\#(first)", "error": {"code": 131053, "title": "Media upload error"}}"#)
            let id = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(id)["status"] as? String == "retry_scheduled")
            #expect(try await h.dispatch() == 1, "the retry after a media error waited")
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "sent", "\(reply.text)")
            #expect(reply.history.map { $0["outcome"] as? String } == ["error", "sent"])
            #expect(reply.history.first?["error_code"] as? Int == 131053)
            #expect(h.simulator.mediaUploads == 2, "registration + exactly one refresh")
            let history = try await refreshes(h)
            #expect(history.map(\.0) == ["registered", "media_error"])
            #expect(history.last?.1 == first)
            #expect(try sentMediaID(h, 0) == first)
            #expect(try sentMediaID(h, 1) == history.last?.2, "the retry did not use the fresh id")
            #expect(try sentMediaID(h, 1) != first)
            let media = try #require(try await h.call(.GET, "/v1/stats").json["media"] as? [String: Any])
            #expect(media["assets"] as? Int == 1)
            #expect((media["uploads"] as? [String: Int]) == ["registered": 1, "proactive": 0, "media_error": 1, "manual": 0])
            #expect(media["upload_failures"] as? Int == 0)
            #expect(media["retries_after_media_error"] as? Int == 1)
            #expect((media["last_hour"] as? [String: Int]) == ["sends": 2, "media_errors": 1])
        }
    }

    @Test(arguments: StoreKind.available) func anInvalidParameterNamingTheMediaIdIsRefreshedToo(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            try await h.script(
                #"{"media_id": "\#(first)", "error": {"code": 131009, "title": "Parameter value is not valid", "details": "Invalid media id: \#(first)"}}"#
            )
            let id = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            #expect(try await h.dispatch() == 1)
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "sent", "\(reply.text)")
            #expect(reply.history.map { $0["error_class"] as? String } == ["media", nil])
            #expect(h.simulator.mediaUploads == 2)
        }
    }

    @Test(arguments: StoreKind.available) func aMediaErrorReportedByWebhookAfterA200IsRefreshedAndRetriedOnce(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.simulatorReports()
            let first = try await registerVideo(h)
            try await h.script(#"{"media_id": "\#(first)", "times": 1, "async_error": {"code": 131053, "title": "Media upload error"}}"#)
            let id = try await sendTemplate(h)
            try await h.dispatch()
            #expect(try await h.processUntil(id, is: "retry_scheduled"))
            try await h.dispatch()
            #expect(try await h.processUntil(id, is: "read"))
            let reply = try await h.message(id)
            #expect(reply.history.map { $0["outcome"] as? String } == ["sent", "sent"])
            #expect(h.simulator.mediaUploads == 2)
            let history = try await refreshes(h)
            #expect(history.map(\.0) == ["registered", "media_error"], "\(history)")
            let sent = try sentMediaID(h, 1)
            #expect(sent != nil && sent != first, "sends: \(h.simulator.received.map(\.body))")
        }
    }

    @Test(arguments: StoreKind.available) func aLaterFailureOfAnotherMessageOnTheSameOldIdUploadsNothingMore(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            _ = try await registerVideo(h)
            let a = try await sendTemplate(h)
            let b = try await sendTemplate(h)
            try await h.dispatch()
            for (index, id) in [a, b].enumerated() {
                let wamid = try #require(try await h.message(id)["wamid"] as? String)
                let failed = MetaWebhookBody.statuses([.init(wamid: wamid, status: "failed", errorCode: 131053)])
                #expect(try await h.webhook(failed).status == 200)
                #expect(try await h.message(id)["status"] as? String == "retry_scheduled")
                try await h.dispatch()
                #expect(try await h.message(id)["status"] as? String == "sent")
                #expect(h.simulator.mediaUploads == 2, "message \(index + 1) uploaded an id that was already fresh")
            }
            #expect(try sentMediaID(h, 2) == sentMediaID(h, 3))
        }
    }

    @Test(arguments: StoreKind.available) func aFailedReuploadDeadLettersWithMediaRefreshFailedAndNoThirdAttempt(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            try await h.script(#"{"media_id": "\#(first)", "error": {"code": 131053, "title": "Media upload error"}}"#)
            try await h.script(#"{"upload": true, "error": {"code": 100, "title": "Invalid parameter"}}"#)
            let id = try await sendTemplate(h)
            try await h.dispatch()
            try await h.dispatch()
            let reply = try await h.message(id)
            #expect(reply["status"] as? String == "failed")
            #expect(reply["failure_reason"] as? String == "media_refresh_failed")
            #expect(reply.history.count == 2, "both attempts belong in the history")
            #expect(h.simulator.received.count == 1, "nothing was sent without a fresh id")
            #expect(try await refreshes(h).last?.0 == "media_error")
            let media = try #require(try await h.call(.GET, "/v1/stats").json["media"] as? [String: Any])
            #expect(media["upload_failures"] as? Int == 1)
            h.clock.advance(by: .seconds(3600))
            #expect(try await h.dispatch() == 0)
        }
    }

    @Test(arguments: StoreKind.available) func aSecondMediaErrorAfterTheRefreshDeadLetters(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            _ = try await registerVideo(h)
            try await h.script(#"{"type": "template", "error": {"code": 131053, "title": "Media upload error"}}"#)
            let id = try await sendTemplate(h)
            try await h.dispatch()
            try await h.dispatch()
            let reply = try await h.message(id)
            #expect(reply["failure_reason"] as? String == "media_refresh_failed")
            #expect(reply.history.count == 2)
            #expect(h.simulator.mediaUploads == 2)
        }
    }

    @Test(arguments: StoreKind.available) func linkMediaGetsTheNormalClassificationAndNoUpload(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.script(#"{"type": "image", "error": {"code": 131053, "title": "Media upload error"}}"#)
            let reply = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "type": "image", "image": {"link": "https://example.com/a.png"}}"#)
            let id = try #require(reply["id"] as? String)
            try await h.dispatch()
            let message = try await h.message(id)
            #expect(message["status"] as? String == "retry_scheduled")
            #expect(
                try #require(message["next_attempt_at"] as? String) > (message.history.first?["finished_at"] as? String ?? ""),
                "a link was retried without backoff")
            #expect(h.simulator.mediaUploads == 0)
        }
    }

    @Test(arguments: StoreKind.available) func fiftyMessagesOnOneBrokenIdCauseOneUpload(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            try await h.script(#"{"media_id": "\#(first)", "error": {"code": 131053, "title": "Media upload error"}}"#)
            let batch = "{\"messages\": [" + Array(repeating: Self.template, count: 50).joined(separator: ",") + "]}"
            let reply = try await h.call(.POST, "/v1/messages/batch", json: batch)
            #expect(reply.status == 202, "\(reply.text)")
            #expect(try await h.dispatch() == 50)
            #expect(try await h.dispatch() == 50)
            let stats = try await h.call(.GET, "/v1/stats")
            #expect((stats.json["messages"] as? [String: Int])?["sent"] == 50, "\(stats.text)")
            #expect(h.simulator.mediaUploads == 2, "one registration and one refresh for fifty messages")
        }
    }

    /// The size of the upload the simulator took as `mediaID` (its whole multipart body: the file and a few
    /// hundred bytes of form).
    func uploadedSize(_ h: Harness, _ mediaID: String) async throws -> Int? {
        try await h.call(.GET, "/v21.0/\(mediaID)", headers: ["Authorization": "Bearer test-token"], base: h.simulatorURL).json["file_size"] as? Int
    }

    /// Registers the video, scripts the next upload with `uploadRule`, and lets 25 days pass: its id is due.
    func registeredDueForRefresh(_ h: Harness, uploadRule: String) async throws -> MediaRefreshJob {
        _ = try await registerVideo(h)
        let job = try #require(h.engine.mediaRefresh)
        try await h.script(uploadRule)
        h.clock.advance(by: .seconds(25 * 86_400))
        return job
    }

    @Test(arguments: StoreKind.available) func newBytesWhoseUploadFailedAreUploadedBeforeTheNextSendNeverTheOldId(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            try await h.script(#"{"upload": true, "times": 1, "http_status": 503}"#)
            let replaced = try await MediaTests().register(h, bytes: Array(MediaTests.video.prefix(1234)))
            #expect(replaced.status == 200, "\(replaced.text)")
            let sender = try #require((replaced.json["senders"] as? [[String: Any]])?.first)
            #expect(sender["media_id"] as? String == first)
            #expect(sender["stale"] as? Bool == true, "an id of the old bytes is not marked stale: \(sender)")

            try await h.script(#"{"upload": true, "times": 1, "http_status": 503}"#)
            let id = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            let waiting = try await h.message(id)
            #expect(waiting["status"] as? String == "retry_scheduled", "\(waiting.text)")
            #expect(h.simulator.received.isEmpty, "the message went out with the old bytes' id")

            h.clock.advance(by: .seconds(2))
            #expect(try await h.dispatch() == 1)
            #expect(try await h.message(id)["status"] as? String == "sent")
            let sent = try #require(try sentMediaID(h, 0))
            #expect(sent != first)
            #expect(try await uploadedSize(h, sent).map { $0 < 2000 } == true, "the message's media id is not the new bytes'")
            let now = try #require(((try await h.call(.GET, "/v1/media/onboarding-video-hi")).json["senders"] as? [[String: Any]])?.first)
            #expect(now["stale"] as? Bool == false)
        }
    }

    @Test(arguments: StoreKind.available) func bytesRegisteredWhileTheOldOnesUploadAreUploadedToo(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let job = try await registeredDueForRefresh(h, uploadRule: #"{"upload": true, "times": 1, "delay_ms": 500}"#)
            let refreshing = Task { try await job.runOnce(now: h.clock.now()) }
            for _ in 0..<100 where h.simulator.rules.isEmpty == false { try await Task.sleep(for: .milliseconds(10)) }
            let replaced = try await MediaTests().register(h, bytes: Array(MediaTests.video.prefix(4321)))
            _ = try await refreshing.value
            let sender = try #require((replaced.json["senders"] as? [[String: Any]])?.first)
            #expect(sender["stale"] as? Bool == false, "\(replaced.text)")
            let id = try #require(sender["media_id"] as? String)
            #expect(try await uploadedSize(h, id).map { $0 < 5000 } == true, "registration answered with the id of the bytes it replaced")
        }
    }

    @Test(arguments: StoreKind.available) func anAssetIsUploadedAgainOnDay23NotOnDay22(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            let job = try #require(h.engine.mediaRefresh)
            h.clock.advance(by: .seconds(22 * 86_400))
            #expect(try await job.runOnce(now: h.clock.now()) == 0)
            #expect(h.simulator.mediaUploads == 1)
            h.clock.advance(by: .seconds(86_400))
            #expect(try await job.runOnce(now: h.clock.now()) == 1)
            #expect(h.simulator.mediaUploads == 2)
            let history = try await refreshes(h)
            #expect(history.map(\.0) == ["registered", "proactive"])
            #expect(history.last?.1 == first)
            #expect(try await job.runOnce(now: h.clock.now()) == 0, "a fresh id was uploaded again")
        }
    }

    @Test(arguments: StoreKind.available) func aStartAfterFortyDaysAwayRefreshesAtOnce(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            _ = try await registerVideo(h)
            h.clock.advance(by: .seconds(40 * 86_400))
            let job = try #require(h.engine.mediaRefresh)
            let running = Task { try await job.run() }
            defer { running.cancel() }
            // The first pass runs at start; then the job sleeps on the injected clock until its next pass.
            try await eventually("the job's start-up pass finished", timeout: .seconds(20)) { h.clock.sleeperCount > 0 }
            #expect(h.simulator.mediaUploads == 2)
            #expect(try await refreshes(h).last?.0 == "proactive")
            let asset = try await h.call(.GET, "/v1/media/onboarding-video-hi")
            let expires = try #require(((asset.json["senders"] as? [[String: Any]])?.first)?["expires_at"] as? String)
            #expect(try MediaTests.date(expires) > h.clock.now().addingTimeInterval(29 * 86_400))
        }
    }

    @Test(arguments: StoreKind.available) func onePassRefreshesEveryDueAssetNotJustOneBatch(_ kind: StoreKind) async throws {
        var options = Harness.Options()
        options.mediaRefresh.batchSize = 2
        try await Harness.run(kind, options) { h in
            for index in 0..<5 {
                let bytes = Array(MediaTests.video.prefix(1000 + index))
                #expect(try await MediaTests().register(h, key: "asset-\(index)", bytes: bytes).status == 201)
            }
            let job = try #require(h.engine.mediaRefresh)
            try await h.script(#"{"upload": true, "times": 1, "http_status": 503}"#)
            h.clock.advance(by: .seconds(40 * 86_400))
            #expect(try await job.runOnce(now: h.clock.now()) == 4, "one pass left due assets for later")
            #expect(h.simulator.mediaUploads == 5 + 4, "five registrations, four refreshes (one upload refused)")
        }
    }

    @Test(arguments: StoreKind.available) func aFailedProactiveUploadIsTriedAgainOnTheRetrySchedule(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let job = try await registeredDueForRefresh(h, uploadRule: #"{"upload": true, "times": 1, "http_status": 503}"#)
            #expect(try await job.runOnce(now: h.clock.now()) == 0)
            let history = try await refreshes(h)
            #expect(history.count == 2 && history.last?.2 == nil, "the failed upload is missing from the history")
            #expect(try await job.runOnce(now: h.clock.now()) == 0, "a failed upload was tried again before its retry time")
            h.clock.advance(by: .seconds(3 * 3600))
            #expect(try await job.runOnce(now: h.clock.now()) == 1)
            #expect(h.simulator.mediaUploads == 2)
        }
    }

    @Test(arguments: StoreKind.available) func sendsReuseARecentIdForASecondThenSeeAnotherProcesssChange(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            let (other, client) = try await h.otherPigeon()
            // The other Pigeon uploads the asset again: this one still sends the id it uploaded a moment ago...
            let fresh = try await other.media!.upload(key: "onboarding-video-hi", senderID: Harness.sender, reason: .manual).get()
            try await client.shutdown()
            _ = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            #expect(try sentMediaID(h, 0) == first)
            // ...and the new one once a second has passed.
            h.clock.advance(by: .milliseconds(1001))
            _ = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            #expect(try sentMediaID(h, 1) == fresh, "the other process's upload was not seen after a second")
            // Its own registration of new bytes is seen at once.
            #expect(try await MediaTests().register(h, bytes: Array(MediaTests.video.prefix(999))).status == 200)
            let replaced = try #require(try await h.engine.media?.asset("onboarding-video-hi")?.usableMediaID(for: Harness.sender))
            _ = try await sendTemplate(h)
            #expect(try await h.dispatch() == 1)
            #expect(try sentMediaID(h, 2) == replaced)
        }
    }

    @Test(arguments: StoreKind.available) func twoProcessesSharingTheDatabaseUploadABrokenIdOnce(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let first = try await registerVideo(h)
            // A second Pigeon on the same file: its own store connection, worker name and HTTP client.
            let (other, client) = try await h.otherPigeon()
            let mine = try #require(h.engine.media)
            let theirs = try #require(other.media)
            async let a = mine.upload(key: "onboarding-video-hi", senderID: Harness.sender, reason: .mediaError, replacing: first)
            async let b = theirs.upload(key: "onboarding-video-hi", senderID: Harness.sender, reason: .mediaError, replacing: first)
            let (one, two) = await (a, b)
            try await client.shutdown()
            #expect(try one.get() == two.get(), "the two processes ended with different ids")
            #expect(try one.get() != first)
            #expect(h.simulator.mediaUploads == 2, "registration and exactly one refresh")
            #expect(try await refreshes(h).map(\.0) == ["registered", "media_error"])
        }
    }
}
