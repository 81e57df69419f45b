import Foundation
import Hummingbird

/// The simulated bridge's sends (`POST /api/sendText`, `sendImage`, `sendVideo`, `sendFile`, `sendVoice`, and
/// `startTyping` / `stopTyping`): a `WORKING` session answers WAHA's message with an id and reports acks by
/// webhook (SERVER, then DEVICE, which makes the contact a chat); one that is not answers 422. A restricted
/// session refuses new contacts with 463, by an error ack or, with `restriction_errors: "sync"`, a 500 as
/// GOWS does; after `fail_after_sends` sends the session drops `FAILED`.
extension BridgeSimulator {
    static let sendPaths = ["sendText", "sendImage", "sendVideo", "sendFile", "sendVoice"]

    enum SendAnswer {
        case accepted(id: String, restricted: Bool)
        case refused(Response)
    }

    func registerSends(on router: Router<BasicRequestContext>) {
        for path in Self.sendPaths {
            router.post("/api/\(path)") { request, _ in
                let bytes = try await request.body.collect(upTo: 1024 * 1024)
                let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
                guard let chat = object["chatId"] as? String else {
                    return MetaSimulator.json(["error": "chatId is required"], status: .badRequest)
                }
                let name = object["session"] as? String ?? "default"
                let text = object["text"] as? String ?? object["caption"] as? String
                return self.send(name, chat: chat, path: path, text: text, now: Date())
            }
        }
        for path in ["startTyping", "stopTyping"] {
            router.post("/api/\(path)") { _, _ in MetaSimulator.json(["result": true]) }
        }
    }

    private func send(_ name: String, chat: String, path: String, text: String?, now: Date) -> Response {
        var answer = SendAnswer.refused(MetaSimulator.json([:]))
        let session = update(name) { session in answer = Self.decide(&session, name: name, chat: chat, path: path, text: text, now: now) }
        switch answer {
        case .refused(let response):
            return response
        case .accepted(let id, let restricted):
            let until = session.restrictedUntil.map { Date(timeIntervalSince1970: $0) } ?? now
            Task {
                if restricted {
                    let error: [String: Any] = [
                        "code": "463", "blocked": true, "reason": "account_restricted", "until": ISO8601DateFormatter().string(from: until),
                        "enforcementType": "BIZ_QUALITY",
                    ]
                    await webhooks.deliver(session, session: name, event: "message.ack", payload: Self.ack(id, chat, -1, "ERROR", error: error))
                    return
                }
                await webhooks.deliver(session, session: name, event: "message.ack", payload: Self.ack(id, chat, 1, "SERVER"))
                self.update(name) { $0.chats.insert(chat) }
                await webhooks.deliver(session, session: name, event: "message.ack", payload: Self.ack(id, chat, 2, "DEVICE"))
            }
            return MetaSimulator.json(
                ["id": id, "timestamp": Int(now.timeIntervalSince1970), "from": "\(Self.phone)@c.us", "to": chat, "fromMe": true, "ack": 0],
                status: .created)
        }
    }

    /// What the session does with one send, changing it as WAHA would.
    private static func decide(_ session: inout Session, name: String, chat: String, path: String, text: String?, now: Date) -> SendAnswer {
        guard session.status == "WORKING" else { return .refused(notExpected(name, session.status, expected: "WORKING")) }
        if session.sendFails > 0, let status = session.sendStatus {
            session.sendFails -= 1
            return .refused(MetaSimulator.json(["statusCode": status, "message": "simulated bridge error"], status: .init(code: status)))
        }
        let restricted = (session.restrictedUntil.map { $0 > now.timeIntervalSince1970 } ?? false) && !session.chats.contains(chat)
        if restricted, session.restrictionErrors == "sync" {
            return .refused(
                MetaSimulator.json(
                    ["statusCode": 500, "exception": ["message": "2 UNKNOWN: server returned error 463"]], status: .internalServerError))
        }
        let id = "true_\(chat)_\(String(UInt64.random(in: 0...UInt64.max), radix: 16, uppercase: true))"
        session.sent.append(Sent(id: id, chatId: chat, path: "/api/\(path)", text: text))
        if let left = session.failAfterSends {
            session.failAfterSends = left > 1 ? left - 1 : nil
            if left <= 1 { session.status = "FAILED" }
        }
        return .accepted(id: id, restricted: restricted)
    }

    static func ack(_ id: String, _ chat: String, _ level: Int, _ name: String, error: [String: Any]? = nil) -> [String: Any] {
        var payload: [String: Any] = [
            "id": id, "from": "\(phone)@c.us", "to": chat, "fromMe": true, "ack": level, "ackName": name,
        ]
        if let error { payload["error"] = error }
        return payload
    }
}
