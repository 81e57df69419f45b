import Foundation

/// One WAHA webhook event, read for Pigeon (shared/whatsapp-web-bridges.md §A.4, §A.5): a session's
/// status, an ack of a message the session sent, or a message it received. Acks and received messages are
/// turned into Meta's webhook format (`metaWebhook`), so they are settled, stored and forwarded to the
/// application exactly like the Cloud API's.
public enum BridgeEvent: Sendable, Hashable {
    /// `session.status`.
    case sessionStatus(BridgeSessionStatus)
    /// `message.ack` of a message the session sent.
    case ack(Ack)
    /// `message` from a contact.
    case inbound(Inbound)
    /// Any other event, or one that says nothing Pigeon uses (by its name).
    case ignored(String)

    /// An ack: the message's id, the contact, and the ack level; an error ack's code, reason and end time.
    public struct Ack: Sendable, Hashable {
        public var id: String
        public var to: String
        public var level: Int
        public var errorCode: Int?
        public var errorReason: String?
        public var restrictedUntil: Date?
        public var timestamp: Date
    }

    /// A received message: its id, the contact and their name, its text, and a media link and type.
    public struct Inbound: Sendable, Hashable {
        public var id: String
        public var from: String
        public var name: String?
        public var body: String?
        public var mediaURL: String?
        public var mimeType: String?
        public var timestamp: Date
    }

    /// WAHA's ack levels (`WAMessageAck`).
    public static let ackError = -1
    public static let ackServer = 1
    public static let ackDevice = 2
    public static let ackRead = 3

    /// Reads a WAHA event of session `session` (an event of another session is ignored).
    public static func parse(_ body: Data, session: String?) -> BridgeEvent? {
        guard let event = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let name = event["event"] as? String else {
            return nil
        }
        guard event["session"] as? String == session, let payload = event["payload"] as? [String: Any] else { return .ignored(name) }
        let at = (event["timestamp"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue / 1000) } ?? Date(timeIntervalSince1970: 0)
        switch name {
        case "session.status":
            guard let text = payload["status"] as? String, let status = BridgeSessionStatus(rawValue: text) else { return .ignored(name) }
            return .sessionStatus(status)
        case "message.ack":
            guard payload["fromMe"] as? Bool ?? true, let id = messageID(payload["id"]), let level = (payload["ack"] as? NSNumber)?.intValue,
                let to = payload["to"] as? String, isContact(to)
            else { return .ignored(name) }
            let error = payload["error"] as? [String: Any]
            let code = (error?["code"] as? String).flatMap(Int.init) ?? (error?["code"] as? NSNumber)?.intValue
            let until = (error?["until"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
            return .ack(
                Ack(
                    id: id, to: to, level: level, errorCode: code, errorReason: error?["reason"] as? String, restrictedUntil: until,
                    timestamp: at))
        case "message":
            guard payload["fromMe"] as? Bool != true, let id = messageID(payload["id"]), let from = payload["from"] as? String, isContact(from)
            else { return .ignored(name) }
            let media = payload["media"] as? [String: Any]
            let data = payload["_data"] as? [String: Any]
            return .inbound(
                Inbound(
                    id: id, from: from, name: data?["notifyName"] as? String ?? data?["pushName"] as? String,
                    body: payload["body"] as? String, mediaURL: media?["url"] as? String, mimeType: media?["mimetype"] as? String,
                    timestamp: (payload["timestamp"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) } ?? at))
        default:
            return .ignored(name)
        }
    }

    /// The contact (`ContactReach.contactKey`) a sender now has a chat with because of this event: one that
    /// wrote to it, or one its message was delivered to.
    public var contact: String? {
        switch self {
        case .ack(let ack) where ack.level >= Self.ackDevice: ContactReach.contactKey(ack.to)
        case .inbound(let message): ContactReach.contactKey(message.from)
        default: nil
        }
    }

    /// The event as a webhook body in Meta's format for sender `senderID`, or nil when it has no Meta
    /// counterpart (a session's status, a pending ack). SERVER → `sent`, DEVICE → `delivered`,
    /// READ/PLAYED → `read`, ERROR → `failed` with the bridge's code (such as 463).
    public func metaWebhook(senderID: String) -> Data? {
        var value: [String: Any] = ["messaging_product": "whatsapp", "metadata": ["phone_number_id": senderID]]
        switch self {
        case .ack(let ack):
            let status: String
            switch ack.level {
            case Self.ackError: status = "failed"
            case Self.ackServer: status = "sent"
            case Self.ackDevice: status = "delivered"
            case Self.ackRead...: status = "read"
            default: return nil
            }
            var item: [String: Any] = [
                "id": ack.id, "status": status, "timestamp": String(Int(ack.timestamp.timeIntervalSince1970)),
                "recipient_id": ContactReach.contactKey(ack.to),
            ]
            if status == "failed", let code = ack.errorCode {
                var error: [String: Any] = ["code": code, "title": ack.errorReason ?? "The bridge reported an error"]
                if let until = ack.restrictedUntil { error["error_data"] = ["details": "restricted until \(until)"] }
                item["errors"] = [error]
            }
            value["statuses"] = [item]
        case .inbound(let message):
            let from = ContactReach.contactKey(message.from)
            var item: [String: Any] = ["from": from, "id": message.id, "timestamp": String(Int(message.timestamp.timeIntervalSince1970))]
            if let url = message.mediaURL {
                let type = Self.mediaType(message.mimeType)
                var media: [String: Any] = ["link": url]
                if let mime = message.mimeType { media["mime_type"] = mime }
                if let caption = message.body, !caption.isEmpty { media["caption"] = caption }
                item["type"] = type
                item[type] = media
            } else {
                item["type"] = "text"
                item["text"] = ["body": message.body ?? ""]
            }
            value["contacts"] = [["profile": ["name": message.name ?? ""], "wa_id": from]]
            value["messages"] = [item]
        case .sessionStatus, .ignored:
            return nil
        }
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "pigeon-web-\(senderID)", "changes": [["field": "messages", "value": value]]]],
        ]
        return try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys])
    }

    /// A message id: a string, or WEBJS's `{"_serialized": …}`.
    static func messageID(_ value: Any?) -> String? {
        (value as? String) ?? (value as? [String: Any])?["_serialized"] as? String
    }

    /// Whether a chat id is a person's (not a group, a channel or the status broadcast).
    static func isContact(_ chatID: String) -> Bool {
        chatID.hasSuffix("@c.us") || chatID.hasSuffix("@s.whatsapp.net") || !chatID.contains("@")
    }

    /// Meta's message type for a received file's MIME type.
    static func mediaType(_ mime: String?) -> String {
        guard let mime else { return "document" }
        if mime.hasPrefix("image/") { return "image" }
        if mime.hasPrefix("video/") { return "video" }
        if mime.hasPrefix("audio/") { return "audio" }
        return "document"
    }
}
