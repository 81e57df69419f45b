import Foundation
import Hummingbird
import Synchronization

/// The simulator's WAHA bridge: sessions with WAHA's statuses and actions (`GET /api/sessions/{session}`,
/// `/me`, `POST …/start`, `stop`, `restart`, `logout`), QR pairing (`GET /api/{session}/auth/qr`, a PNG, and
/// `POST /api/{session}/auth/request-code`), sends (`BridgeSimulator+Sends`) and webhooks signed with the
/// session's HMAC key, scripted from `/_sim/waha/sessions/{session}` (`BridgeSimulator.Script` as JSON: a drop
/// by status or after a number of sends, pairing, failing starts or restarts, a 463 restriction, new-chat
/// capping, where its webhooks go). A session is paired and `STOPPED` until first started; a logout forgets
/// its pairing (a QR code is then waiting) and `POST /_sim/waha/sessions/{session}/pair` scans it.
final class BridgeSimulator: Sendable {
    /// One session at the bridge, and what was asked of it (in JSON with snake_case keys, as `Script`).
    struct Session: Codable, Sendable, Hashable {
        var status = "STOPPED"
        var paired = true
        var startFails = 0
        var restartFails = 0
        var starts = 0
        var stops = 0
        var restarts = 0
        var logouts = 0
        /// Where its webhooks go, and the HMAC key that signs them.
        var webhookUrl: String?
        var webhookHmac: String?
        /// New contacts get 463 until this unix time; `restrictionErrors` says how: `ack` (an error ack by
        /// webhook, NOWEB) or `sync` (the send answers 500, GOWS).
        var restrictedUntil: Double?
        var restrictionErrors = "ack"
        /// `me.messageCapping`.
        var capping: Capping?
        /// The session drops `FAILED` after this many more sends.
        var failAfterSends: Int?
        /// The next sends answer this HTTP status (with `sendFails` of them).
        var sendStatus: Int?
        var sendFails = 0
        /// Contacts it has a chat with (they wrote, or a message was delivered to them).
        var chats: Set<String> = []
        /// Messages it sent.
        var sent: [Sent] = []
        /// Bumped each time a new QR code is shown.
        var qrVersion = 0

    }

    /// `MessageCappingData` as the simulator reports it.
    struct Capping: Codable, Sendable, Hashable {
        var status: String
        var total: Int
        var used: Int
        var cycleEnd: Double?

    }

    /// One sent message: its id, chat, WAHA path and text.
    struct Sent: Codable, Sendable, Hashable {
        var id: String
        var chatId: String
        var path: String
        var text: String?
    }

    /// A change to a session; every field is optional.
    struct Script: Codable, Sendable {
        var status: String?
        var paired: Bool?
        var startFails: Int?
        var restartFails: Int?
        var webhookUrl: String?
        var webhookHmac: String?
        var restrictedUntil: Double?
        var restrictionErrors: String?
        var capping: Capping?
        var failAfterSends: Int?
        var sendStatus: Int?
        var sendFails: Int?

    }

    static let statuses: Set<String> = ["STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED"]
    /// The phone number every simulated session is paired with.
    static let phone = "15550009999"
    let sessions = Mutex<[String: Session]>([:])
    let webhooks = BridgeWebhooks()

    /// Applies `change` to session `name` and returns it; a changed status is reported by webhook.
    @discardableResult
    func update(_ name: String, _ change: (inout Session) -> Void) -> Session {
        let (before, after) = sessions.withLock { sessions in
            let before = sessions[name, default: Session()]
            var after = before
            change(&after)
            sessions[name] = after
            return (before, after)
        }
        if before.status != after.status || after.qrVersion != before.qrVersion {
            webhooks.post(after, session: name, event: "session.status", payload: ["name": name, "status": after.status])
        }
        return after
    }

    func session(_ name: String) -> Session { sessions.withLock { $0[name, default: Session()] } }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/sessions/:session") { _, context in
            let name = context.parameters.get("session") ?? "default"
            let session = self.session(name)
            let me: Any = session.status == "WORKING" ? ["id": "\(Self.phone)@c.us"] : NSNull()
            return MetaSimulator.json(["name": name, "status": session.status, "me": me])
        }
        router.get("/api/sessions/:session/me") { _, context in
            let session = self.session(context.parameters.get("session") ?? "default")
            guard session.status == "WORKING" else { return MetaSimulator.json(NSNull()) }
            return MetaSimulator.json(Self.me(session, now: Date()))
        }
        for action in ["start", "stop", "restart", "logout"] {
            router.post("/api/sessions/:session/\(action)") { _, context in
                let name = context.parameters.get("session") ?? "default"
                let session = self.update(name) { Self.apply(action, to: &$0) }
                return MetaSimulator.json(["name": name, "status": session.status])
            }
        }
        router.get("/api/:session/auth/qr") { request, context in
            let name = context.parameters.get("session") ?? "default"
            let session = self.session(name)
            guard session.status == "SCAN_QR_CODE" else { return Self.notExpected(name, session.status, expected: "SCAN_QR_CODE") }
            let value = "2@simulated-\(name)-\(session.qrVersion)"
            if request.uri.queryParameters.get("format") == "raw" { return MetaSimulator.json(["value": value]) }
            let png = PairingImage.png(for: value)
            if request.headers[.accept]?.contains("application/json") == true {
                return MetaSimulator.json(["mimetype": "image/png", "data": png.base64EncodedString()])
            }
            return Response(status: .ok, headers: [.contentType: "image/png"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: png)))
        }
        router.post("/api/:session/auth/request-code") { request, context in
            let name = context.parameters.get("session") ?? "default"
            let session = self.session(name)
            guard session.status == "SCAN_QR_CODE" else { return Self.notExpected(name, session.status, expected: "SCAN_QR_CODE") }
            let body = try await request.body.collect(upTo: 64 * 1024)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
            guard let phone = object?["phoneNumber"] as? String, !phone.isEmpty else {
                return MetaSimulator.json(["error": "phoneNumber is required"], status: .badRequest)
            }
            return MetaSimulator.json(["code": "SIMU-\(phone.suffix(4))"])
        }
        registerSends(on: router)
        registerControl(on: router)
    }

    private func registerControl(on router: Router<BasicRequestContext>) {
        router.post("/_sim/waha/sessions/:session") { request, context in
            let name = context.parameters.get("session") ?? "default"
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            guard let script = try? Self.decoder.decode(Script.self, from: Data(buffer: bytes)),
                script.status.map(Self.statuses.contains) ?? true
            else {
                return MetaSimulator.json(
                    [
                        "error":
                            "send {\"status\": \"FAILED\"} (or STOPPED, SCAN_QR_CODE, WORKING), \"paired\", \"start_fails\", \"restart_fails\", \"webhook_url\", \"webhook_hmac\", \"restricted_until\", \"restriction_errors\", \"capping\", \"fail_after_sends\", \"send_status\", \"send_fails\""
                    ],
                    status: .badRequest)
            }
            let session = self.update(name) { session in
                if let status = script.status { session.status = status }
                if let paired = script.paired { session.paired = paired }
                if let fails = script.startFails { session.startFails = fails }
                if let fails = script.restartFails { session.restartFails = fails }
                if let url = script.webhookUrl { session.webhookUrl = url.isEmpty ? nil : url }
                if let key = script.webhookHmac { session.webhookHmac = key.isEmpty ? nil : key }
                if let until = script.restrictedUntil { session.restrictedUntil = until > 0 ? until : nil }
                if let mode = script.restrictionErrors { session.restrictionErrors = mode }
                if let capping = script.capping { session.capping = capping }
                if let after = script.failAfterSends { session.failAfterSends = after > 0 ? after : nil }
                if let status = script.sendStatus { session.sendStatus = status }
                if let fails = script.sendFails { session.sendFails = fails }
            }
            return try Self.encode(session, status: .created)
        }
        router.get("/_sim/waha/sessions/:session") { _, context in
            try Self.encode(self.session(context.parameters.get("session") ?? "default"))
        }
        router.post("/_sim/waha/sessions/:session/pair") { _, context in
            let name = context.parameters.get("session") ?? "default"
            let session = self.update(name) { session in
                session.paired = true
                if session.status == "SCAN_QR_CODE" { session.status = "WORKING" }
            }
            return try Self.encode(session, status: .created)
        }
        router.post("/_sim/waha/sessions/:session/inbound") { request, context in
            let name = context.parameters.get("session") ?? "default"
            let bytes = try await request.body.collect(upTo: 64 * 1024)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any]
            guard let from = object?["from"] as? String, !from.isEmpty else {
                return MetaSimulator.json(["error": "send {\"from\": \"15551234567\", \"body\": \"hi\"}"], status: .badRequest)
            }
            let chat = from.filter(\.isNumber) + "@c.us"
            let session = self.update(name) { $0.chats.insert(chat) }
            let id = "false_\(chat)_\(UInt64.random(in: 0...UInt64.max))"
            let payload: [String: Any] = [
                "id": id, "from": chat, "fromMe": false, "body": object?["body"] as? String ?? "", "hasMedia": false,
                "timestamp": Int(Date().timeIntervalSince1970), "_data": ["notifyName": object?["name"] as? String ?? "Simulated contact"],
            ]
            self.webhooks.post(session, session: name, event: "message", payload: payload)
            return MetaSimulator.json(["id": id], status: .created)
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// A session as the control API shows it.
    static func encode(_ session: Session, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(session))))
    }

    /// WAHA's answer when the session is not in the status a call needs.
    static func notExpected(_ name: String, _ status: String, expected: String) -> Response {
        MetaSimulator.json(
            [
                "error": "Session status is not as expected. Try again later or restart the session", "session": name,
                "status": status, "expected": [expected],
            ], status: .unprocessableContent)
    }

    /// `MeInfo` with the restriction and the quota.
    static func me(_ session: Session, now: Date) -> [String: Any] {
        var me: [String: Any] = ["id": "\(phone)@c.us", "pushName": "Pigeon simulator"]
        if let until = session.restrictedUntil, until > now.timeIntervalSince1970 {
            me["reachoutTimelock"] = ["isActive": true, "timeEnforcementEnds": String(Int(until)), "enforcementType": "BIZ_QUALITY"]
        } else {
            me["reachoutTimelock"] = ["isActive": false, "enforcementType": "DEFAULT"]
        }
        if let capping = session.capping {
            var data: [String: Any] = ["cappingStatus": capping.status, "totalQuota": capping.total, "usedQuota": capping.used]
            if let end = capping.cycleEnd { data["cycleEnd"] = end }
            me["messageCapping"] = data
        }
        return me
    }

    /// What WAHA does on `action`: a start or restart brings a paired session to `WORKING` (one waiting for
    /// pairing to `SCAN_QR_CODE`) unless scripted to fail; a stop keeps the credentials; a logout deletes them.
    static func apply(_ action: String, to session: inout Session) {
        let up = session.paired ? "WORKING" : "SCAN_QR_CODE"
        switch action {
        case "start", "restart":
            if action == "start" { session.starts += 1 } else { session.restarts += 1 }
            let fails = action == "start" ? session.startFails : session.restartFails
            if fails > 0 {
                if action == "start" { session.startFails -= 1 } else { session.restartFails -= 1 }
                session.status = "STOPPED"
            } else {
                session.status = up
            }
        case "stop":
            session.stops += 1
            session.status = "STOPPED"
        default:
            session.logouts += 1
            session.paired = false
            session.status = "SCAN_QR_CODE"
            session.qrVersion += 1
        }
    }
}
