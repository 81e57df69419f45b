import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import PigeonCore
import PigeonServer
import PigeonTestSupport
import Synchronization
import Testing

/// The media library over loopback: registering an asset uploads it to Meta (the simulator), keeps its
/// bytes beside the database, lists it with its media id and expiry, refreshes and deletes it; bad input
/// is a clear 4xx that stores nothing.
@Suite struct MediaTests {
    static let video = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    func register(
        _ h: Harness, key: String = "onboarding-video-hi", bytes: [UInt8] = MediaTests.video, type: String? = "video/mp4",
        fields: [(String, String)] = []
    ) async throws -> JSONClient.Reply {
        let (body, contentType) = MultipartBody.make([("key", key)] + fields, file: (bytes, type, "welcome.mp4"))
        return try await h.client.call(.POST, h.apiURL + "/v1/media", bytes: body, bearer: Harness.apiKey, contentType: contentType)
    }

    @Test(arguments: StoreKind.available) func aRegisteredAssetIsUploadedKeptListedRefreshedAndDeleted(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let created = try await register(h)
            #expect(created.status == 201, "\(created.text)")
            let asset = created.json
            #expect(asset["mime_type"] as? String == "video/mp4")
            #expect(asset["size"] as? Int == Self.video.count)
            let sha256 = try #require(asset["sha256"] as? String)
            let sender = try #require((asset["senders"] as? [[String: Any]])?.first)
            #expect(sender["sender_id"] as? String == Harness.sender)
            let firstID = try #require(sender["media_id"] as? String)
            let uploadedAt = try #require(sender["uploaded_at"] as? String)
            let expiresAt = try #require(sender["expires_at"] as? String)
            #expect(try Self.date(expiresAt).timeIntervalSince(Self.date(uploadedAt)) == 30 * 86_400)
            #expect((sender["history"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["registered"])
            #expect(h.simulator.mediaUploads == 1)
            #expect(try await h.mediaBytes.read(sha256) == Data(Self.video), "the bytes were not kept")

            let listed = try await h.call(.GET, "/v1/media")
            #expect(listed.status == 200)
            #expect((listed.json["media"] as? [[String: Any]])?.map { $0["key"] as? String } == ["onboarding-video-hi"])

            let refreshed = try await h.call(.POST, "/v1/media/onboarding-video-hi/refresh")
            #expect(refreshed.status == 200, "\(refreshed.text)")
            let now = try #require((refreshed.json["senders"] as? [[String: Any]])?.first)
            #expect(now["media_id"] as? String != firstID)
            let history = try #require(now["history"] as? [[String: Any]])
            #expect(history.map { $0["reason"] as? String } == ["registered", "manual"])
            #expect(history.last?["old_media_id"] as? String == firstID)
            #expect(history.last?["new_media_id"] as? String == now["media_id"] as? String)
            #expect(h.simulator.mediaUploads == 2)

            let other = try await register(h, key: "logo", bytes: Array(repeating: 7, count: 100), type: "image/png")
            let otherSHA256 = try #require(other.json["sha256"] as? String)
            #expect(try await h.call(.DELETE, "/v1/media/onboarding-video-hi").status == 204)
            #expect(try await h.call(.GET, "/v1/media/onboarding-video-hi").status == 404)
            #expect(try await h.call(.POST, "/v1/media/onboarding-video-hi/refresh").status == 404)
            let job = try #require(h.engine.mediaRefresh)
            try await job.runOnce(now: h.clock.now().adding(.seconds(3000)))
            #expect(try await h.mediaBytes.read(sha256) == Data(Self.video), "the bytes were deleted within the hour")
            try await job.runOnce(now: h.clock.now().adding(.seconds(7200)))
            await #expect(throws: MediaBytesMissing.self, "the deleted asset's bytes were kept") { try await h.mediaBytes.read(sha256) }
            #expect(try await h.mediaBytes.read(otherSHA256) == Data(repeating: 7, count: 100), "bytes still in use were deleted")
        }
    }

    @Test(arguments: StoreKind.available) func aClientThatAsksBeforeSendingTheBodyIsAnsweredAtOnce(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let port = try #require(Int(h.apiURL.split(separator: ":").last ?? ""))
            let (body, contentType) = MultipartBody.make([("key", "big-video")], file: (Self.video, "video/mp4", "welcome.mp4"))
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) {
                channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
            let replies = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        // As curl does for bodies over 1 MB: the head alone, then the body once the server says so.
                        try await outbound.write(
                            ByteBuffer(
                                string: "POST /v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(Harness.apiKey)\r\n"
                                    + "Content-Type: \(contentType)\r\nContent-Length: \(body.readableBytes)\r\nExpect: 100-continue\r\n\r\n"))
                        var iterator = inbound.makeAsyncIterator()
                        var replies = [String(buffer: try #require(try await iterator.next()))]
                        try await outbound.write(body)
                        while !(replies.last ?? "").contains("\"key\""), let more = try await iterator.next() { replies.append(String(buffer: more)) }
                        return replies
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw CancellationError()
                }
                defer { group.cancelAll() }
                return try #require(try await group.next())
            }
            #expect(replies.first?.hasPrefix("HTTP/1.1 100 Continue\r\n") == true, "\(replies.first ?? "")")
            #expect(replies.joined().contains("HTTP/1.1 201 Created"), "\(replies.joined())")
            #expect(h.simulator.mediaUploads == 1)
        }
    }

    @Test(arguments: StoreKind.available) func unusualButValidFormsAreReadExactlyAndBrokenOnesAre400(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            // File bytes that look like a delimiter (without the CRLF before it) or start one, a preamble, a quoted boundary, an epilogue.
            let tricky = Array("x--edge\r\n\r\n--edg".utf8) + Array(Self.video.prefix(5000)) + Array("\r\n-".utf8)
            var body = ByteBuffer(string: "preamble to ignore\r\n--edge\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ntricky\r\n")
            body.writeString("--edge\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.png\"\r\nContent-Type: image/png\r\n\r\n")
            body.writeBytes(tricky)
            body.writeString("\r\n--edge--\r\nepilogue")
            let created = try await h.client.call(
                .POST, h.apiURL + "/v1/media", bytes: body, bearer: Harness.apiKey, contentType: "multipart/form-data; boundary=\"edge\"")
            #expect(created.status == 201, "\(created.text)")
            let sha256 = try #require(created.json["sha256"] as? String)
            #expect(try await h.mediaBytes.read(sha256) == Data(tricky), "the file part was not read byte for byte")

            var truncated = ByteBuffer(string: "--edge\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--edge\r\n")
            truncated.writeString("Content-Disposition: form-data; name=\"file\"\r\nContent-Type: image/png\r\n\r\n12345")
            let broken = try await h.client.call(
                .POST, h.apiURL + "/v1/media", bytes: truncated, bearer: Harness.apiKey, contentType: "multipart/form-data; boundary=edge")
            #expect(broken.status == 400, "\(broken.text)")
            #expect(broken.error == "invalid_multipart")
            #expect(try await h.engine.media?.asset("k") == nil)
        }
    }

    @Test(arguments: StoreKind.available) func anAssetUnsentMessagesNameIsDeletedOnlyWhenForced(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            #expect(try await register(h).status == 201)
            let sent = try await h.call(.POST, "/v1/messages", json: MediaRefreshTests.template)
            let id = try #require(sent["id"] as? String)
            let refused = try await h.call(.DELETE, "/v1/media/onboarding-video-hi")
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.error == "media_in_use")
            #expect(refused.text.contains("1 unsent message"), "\(refused.text)")
            #expect(try await h.call(.DELETE, "/v1/media/onboarding-video-hi?force=maybe").status == 400)
            #expect(try await h.call(.GET, "/v1/media/onboarding-video-hi").status == 200, "a refused delete deleted")

            #expect(try await h.call(.DELETE, "/v1/media/onboarding-video-hi?force=true").status == 204)
            #expect(try await h.dispatch() == 1)
            let message = try await h.message(id)
            #expect(message["status"] as? String == "failed", "\(message.text)")
            #expect((message["last_error"] as? [String: Any])?["title"] as? String == "Media asset deleted")
            #expect(h.simulator.received.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available) func anAssetSentAsTheWrongKindOfMediaIsRefusedAtIntake(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            #expect(try await register(h).status == 201)
            let asImage = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "type": "image", "image": {"media_key": "onboarding-video-hi"}}"#)
            #expect(asImage.status == 422, "\(asImage.text)")
            #expect(asImage.error == "media_type_mismatch")
            #expect(asImage.text.contains("video/mp4"), "\(asImage.text)")
            let batch = try await h.call(
                .POST, "/v1/messages/batch",
                json:
                    #"{"messages": [{"to": "+15550001111", "type": "video", "video": {"media_key": "onboarding-video-hi"}}, {"to": "+15550001112", "type": "sticker", "sticker": {"media_key": "onboarding-video-hi"}}]}"#
            )
            #expect(batch.status == 422, "\(batch.text)")
            #expect(batch.text.contains("messages[1]"), "\(batch.text)")
            #expect((try await h.call(.GET, "/v1/messages").json["messages"] as? [Any])?.isEmpty == true, "a refused batch stored messages")

            let asDocument = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "type": "document", "document": {"media_key": "onboarding-video-hi"}}"#)
            #expect(asDocument.status == 202, "\(asDocument.text)")
            let inTemplate = try await h.call(.POST, "/v1/messages", json: MediaRefreshTests.template)
            #expect(inTemplate.status == 202, "\(inTemplate.text)")
        }
    }

    @Test(arguments: StoreKind.available) func registeringTheSameKeyAgainReplacesItsBytes(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            #expect(try await register(h).status == 201)
            let again = try await register(h, bytes: Array(Self.video.prefix(1000)))
            #expect(again.status == 200, "\(again.text)")
            #expect(again.json["size"] as? Int == 1000)
            #expect(h.simulator.mediaUploads == 2)
        }
    }

    @Test(arguments: StoreKind.available) func bytesAnEarlierVersionKeptInAFolderAreMovedIntoTheStoreAndUploadAgain(
        _ kind: StoreKind
    ) async throws {
        try await Harness.run(kind) { h in
            let created = try await register(h)
            let sha256 = try #require(created.json["sha256"] as? String)
            // As after an upgrade from a version that kept the bytes in a folder: the store has none.
            #expect(try await h.mediaBytes.sweep(keeping: [], keptBefore: h.clock.now().adding(.seconds(1))) == 1)
            #expect(try await h.call(.POST, "/v1/media/onboarding-video-hi/refresh").status == 200)
            #expect(h.simulator.mediaUploads == 1, "an upload without bytes reached Meta")

            let folder = h.database.directory.appendingPathComponent("legacy-media", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(Self.video).write(to: folder.appendingPathComponent(sha256))
            try Data("not media".utf8).write(to: folder.appendingPathComponent("notes.txt"))
            try Data("corrupted".utf8).write(to: folder.appendingPathComponent(String(repeating: "0", count: 64)))
            let imported = await MediaFolderImport.run(from: folder.path, into: h.mediaBytes, now: h.clock.now(), logger: RunningServer.quietLogger)
            #expect(imported == 1, "a file that is not media, or whose content does not match its name, was kept")
            await #expect(throws: MediaBytesMissing.self) { try await h.mediaBytes.read(String(repeating: "0", count: 64)) }
            #expect(try await h.mediaBytes.read(sha256) == Data(Self.video))
            let refreshed = try await h.call(.POST, "/v1/media/onboarding-video-hi/refresh")
            #expect(refreshed.status == 200, "\(refreshed.text)")
            #expect(h.simulator.mediaUploads == 2, "the moved bytes were not uploaded")
            let history = (refreshed.json["senders"] as? [[String: Any]])?.first?["history"] as? [[String: Any]]
            #expect(history?.map { $0["error"] is String } == [false, true, false], "\(refreshed.text)")
        }
    }

    @Test(arguments: StoreKind.available) func anAssetRegisteredByURLIsFetchedOnceKeptAndUploaded(_ kind: StoreKind) async throws {
        let served = Array(Self.video.prefix(50_000))
        let fetches = Mutex(0)
        let router = Router()
        router.get("/assets/logo.png") { _, _ in
            fetches.withLock { $0 += 1 }
            return Response(
                status: .ok, headers: [.contentType: "image/png; charset=binary"], body: .init(byteBuffer: ByteBuffer(bytes: served)))
        }
        for (path, location) in [("moved", "/assets/logo.png"), ("to-ftp", "ftp://127.0.0.1/a.png"), ("loop", "/assets/loop")] {
            router.get("/assets/\(path)") { _, _ in Response(status: .found, headers: [.location: location]) }
        }
        router.get("/assets/big.png") { _, _ in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(repeating: 1, count: (5 << 20) + 10)))
        }
        let files = await RunningServer(logger: RunningServer.quietLogger) { onRunning in
            Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { await onRunning($0.localAddress?.port ?? 0) }, logger: RunningServer.quietLogger)
        }
        var options = Harness.Options()
        options.plainHTTPMedia = true
        var failure: (any Error)?
        do {
            try await Harness.run(kind, options) { h in
                let created = try await h.call(.POST, "/v1/media", json: #"{"key": "receipt-logo", "url": "\#(files.url)/assets/logo.png"}"#)
                #expect(created.status == 201, "\(created.text)")
                #expect(created.json["mime_type"] as? String == "image/png", "the Content-Type was not taken as the MIME type")
                #expect(created.json["size"] as? Int == served.count)
                let sha256 = try #require(created.json["sha256"] as? String)
                #expect(try await h.mediaBytes.read(sha256) == Data(served), "the fetched bytes were not kept")
                #expect(fetches.withLock { $0 } == 1)
                #expect(h.simulator.mediaUploads == 1)
                let asset = try #require(try await h.engine.media?.asset("receipt-logo"))
                #expect(asset.filename == "logo.png")

                // A refresh uploads the kept bytes: the URL is not fetched again.
                #expect(try await h.call(.POST, "/v1/media/receipt-logo/refresh").status == 200)
                #expect(fetches.withLock { $0 } == 1, "a refresh fetched the URL again")
                #expect(h.simulator.mediaUploads == 2)

                // Redirects are followed, each target checked like the first URL.
                let moved = try await h.call(.POST, "/v1/media", json: #"{"key": "moved-logo", "url": "\#(files.url)/assets/moved"}"#)
                #expect(moved.status == 201, "\(moved.text)")
                #expect(moved.json["sha256"] as? String == sha256)
                let loop = try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "\#(files.url)/assets/loop", "mime_type": "image/png"}"#)
                #expect(loop.text.contains("redirected more than"), "\(loop.text)")
                let toFTP = try await h.call(
                    .POST, "/v1/media", json: #"{"key": "k", "url": "\#(files.url)/assets/to-ftp", "mime_type": "image/png"}"#)
                #expect(toFTP.text.contains("does not fetch"), "\(toFTP.text)")

                let cases: [(reply: JSONClient.Reply, status: Int, code: String)] = [
                    (loop, 422, "fetch_failed"), (toFTP, 422, "fetch_failed"),
                    (try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "\#(files.url)/assets/missing.png"}"#), 422, "fetch_failed"),
                    (try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "\#(files.url)/assets/big.png"}"#), 413, "media_too_large"),
                    (try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "ftp://127.0.0.1/a.png"}"#), 400, "invalid_url"),
                ]
                for (reply, status, code) in cases {
                    #expect(reply.status == status, "\(code): \(reply.text)")
                    #expect(reply.error == code, "\(reply.text)")
                }
                #expect(try await h.engine.media?.asset("k") == nil)
                #expect(h.simulator.mediaUploads == 3)
            }
        } catch { failure = error }
        await files.stop()
        if let failure { throw failure }
    }

    @Test(arguments: StoreKind.available) func badRegistrationsAreClear4xxAndStoreNothing(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let cases: [(reply: JSONClient.Reply, status: Int, code: String)] = [
                (try await register(h, type: "video/avi"), 400, "unsupported_media_type"),
                (try await register(h, type: nil), 400, "missing_mime_type"),
                (try await register(h, bytes: [UInt8](repeating: 1, count: (5 << 20) + 1), type: "image/png"), 413, "media_too_large"),
                (try await register(h, bytes: [], type: "image/png"), 400, "empty_media"),
                (try await register(h, key: "has spaces/and slashes"), 400, "invalid_media_key"),
                (try await register(h, key: ""), 400, "missing_key"),
                (try await h.call(.POST, "/v1/media", json: #"{"key": "k"}"#), 400, "missing_url"),
                (try await register(h, fields: [("senders", "100000000000001, not a sender!")]), 400, "invalid_senders"),
                (try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "https://x.test/a", "senders": "123"}"#), 400, "invalid_senders"),
                (try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "http://example.com/a.png"}"#), 400, "invalid_url"),
                (
                    try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "https://127.0.0.1:1/a.png", "mime_type": "image/png"}"#), 422,
                    "fetch_failed"
                ),
                (
                    try await h.call(.POST, "/v1/media", json: #"{"key": "k", "url": "https://x.test/a", "mime_type": "video/avi"}"#), 400,
                    "unsupported_media_type"
                ),
                (try await h.call(.POST, "/v1/media", json: "key=k", contentType: "text/plain"), 415, "unsupported_content_type"),
                (
                    try await h.client.call(
                        .POST, h.apiURL + "/v1/media", bytes: MultipartBody.make([("key", "k")], file: nil).0, bearer: Harness.apiKey,
                        contentType: MultipartBody.make([], file: nil).1), 400, "invalid_multipart"
                ),
                (try await h.call(.POST, "/v1/media", json: "", auth: nil), 401, "missing_api_key"),
            ]
            for (reply, status, code) in cases {
                #expect(reply.status == status, "\(code): \(reply.text)")
                #expect(reply.error == code, "\(reply.text)")
            }
            let listed = try await h.call(.GET, "/v1/media")
            #expect((listed.json["media"] as? [[String: Any]])?.isEmpty == true)
            #expect(h.simulator.mediaUploads == 0)
        }
    }

    static func date(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter.withFractionalSeconds.date(from: text) ?? ISO8601DateFormatter().date(from: text))
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFractionalSeconds: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
