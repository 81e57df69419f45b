import Foundation

/// Checks a send request (Meta's message object without `messaging_product`, plus `idempotency_key`,
/// `max_attempts` and `sender_id`) and normalizes it. Every rejection says what to fix.
public struct MessageValidator: Sendable {
    /// Message types Meta's `/messages` endpoint accepts.
    public static let supportedTypes: Set<String> = [
        "text", "template", "image", "video", "audio", "document", "sticker", "location", "contacts", "interactive",
        "reaction",
    ]
    /// Types whose object is a media reference (`id` or `link`).
    public static let mediaTypes: Set<String> = ["image", "video", "audio", "document", "sticker"]
    /// Meta's limit on `text.body`.
    public static let maxTextLength = 4096
    /// Largest accepted `max_attempts`.
    public static let maxAttemptsLimit = 100
    /// Longest accepted idempotency key.
    public static let maxIdempotencyKeyLength = 255

    public init() {}

    /// Validates a JSON body.
    public func validate(json: [UInt8]) throws(ValidationError) -> MessageRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        } catch {
            throw ValidationError("malformed_json", "the body is not valid JSON: \(Self.describe(error))")
        }
        return try validate(object: object, path: "")
    }

    /// Validates an already parsed JSON value; `path` prefixes field names in errors (such as `messages[3].`).
    public func validate(object: Any, path: String) throws(ValidationError) -> MessageRequest {
        guard var body = object as? [String: Any] else {
            throw ValidationError(
                "invalid_body", "\(path.isEmpty ? "the body" : String(path.dropLast())) must be a JSON object with \"to\" and \"type\"")
        }
        if let product = body.removeValue(forKey: "messaging_product"), (product as? String) != "whatsapp" {
            throw ValidationError("invalid_messaging_product", "\(path)messaging_product may be omitted; if given it must be \"whatsapp\"")
        }
        body.removeValue(forKey: "biz_opaque_callback_data")
        let idempotencyKey = try takeIdempotencyKey(&body, path: path)
        let maxAttempts = try takeMaxAttempts(&body, path: path)
        let senderID = try takeSenderID(&body, path: path)
        let pool = try takePool(&body, path: path)
        let respectsOptOut = try takeRespectOptOut(&body, path: path)
        if senderID != nil && pool != nil {
            throw ValidationError(
                "sender_and_pool", "\(path)give sender_id (to pin the message to one sender) or pool (to let any sender of it send), not both")
        }

        guard let to = body["to"] else {
            throw ValidationError(
                "missing_to", "\(path)to is required: the recipient's phone number in international format, such as \"+15550001111\"")
        }
        guard let recipient = to as? String, Self.isPhoneNumber(recipient) else {
            throw ValidationError(
                "invalid_to",
                "\(path)to must be a phone number in international format: an optional \"+\" and 7 to 15 digits, such as \"+15550001111\"")
        }
        if body["type"] == nil, body["text"] != nil { body["type"] = "text" }
        guard let typeValue = body["type"] else {
            throw ValidationError("missing_type", "\(path)type is required: one of \(Self.typeList)")
        }
        guard let type = typeValue as? String, Self.supportedTypes.contains(type) else {
            throw ValidationError("unsupported_type", "\(path)type \(Self.render(typeValue)) is not supported: use one of \(Self.typeList)")
        }
        if let recipientType = body["recipient_type"] {
            guard let text = recipientType as? String, ["individual", "group"].contains(text) else {
                throw ValidationError("invalid_recipient_type", "\(path)recipient_type must be \"individual\" or \"group\"")
            }
        } else {
            body["recipient_type"] = "individual"
        }
        guard let content = body[type] else {
            throw ValidationError("missing_content", "\(path)\(type) is required for a \(type) message: \(Self.contentHint(type))")
        }
        try checkContent(type: type, content: content, path: "\(path)\(type)")
        for key in MediaReferences.keys(in: content) {
            do {
                try MediaRules.validate(key: key)
            } catch {
                throw ValidationError(error.code, "\(path)\(type) names media_key \"\(key)\": \(error.message)")
            }
        }

        let payload: String
        do {
            payload = try CanonicalJSON.string(body)
        } catch {
            throw ValidationError("invalid_body", "\(path)the message could not be encoded as JSON")
        }
        var request = MessageRequest(
            recipient: recipient, type: type, payload: payload, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts,
            senderID: senderID, pool: pool)
        request.respectsOptOut = respectsOptOut
        return request
    }

    private func takeRespectOptOut(_ body: inout [String: Any], path: String) throws(ValidationError) -> Bool {
        guard let value = body.removeValue(forKey: "respect_opt_out"), !(value is NSNull) else { return false }
        guard CanonicalJSON.isBoolean(value), let flag = value as? Bool else {
            throw ValidationError("invalid_respect_opt_out", "\(path)respect_opt_out must be true or false")
        }
        return flag
    }

    private func checkContent(type: String, content: Any, path: String) throws(ValidationError) {
        if type == "contacts" {
            guard let list = content as? [Any], !list.isEmpty else {
                throw ValidationError("invalid_content", "\(path) must be a non-empty array of contact objects")
            }
            return
        }
        guard let object = content as? [String: Any] else {
            throw ValidationError("invalid_content", "\(path) must be a JSON object: \(Self.contentHint(type))")
        }
        switch type {
        case "text":
            guard let text = object["body"] as? String, !BlankText.isBlank(text) else {
                throw ValidationError("invalid_text", "\(path).body is required and must be a non-empty string")
            }
            guard text.count <= Self.maxTextLength else {
                throw ValidationError("text_too_long", "\(path).body has \(text.count) characters; Meta accepts at most \(Self.maxTextLength)")
            }
        case "template":
            guard let name = object["name"] as? String, !name.isEmpty else {
                throw ValidationError("invalid_template", "\(path).name is required: the approved template's name")
            }
            guard let language = object["language"] as? [String: Any], let code = language["code"] as? String, !code.isEmpty else {
                throw ValidationError("invalid_template", "\(path).language.code is required, such as {\"code\": \"en_US\"}")
            }
            if let components = object["components"] {
                guard let list = components as? [Any], list.allSatisfy({ (($0 as? [String: Any])?["type"] as? String) != nil }) else {
                    throw ValidationError("invalid_template", "\(path).components must be an array of objects, each with a \"type\"")
                }
            }
        case _ where Self.mediaTypes.contains(type):
            let id = object["id"] as? String
            let link = object["link"] as? String
            let key = object[MediaReferences.field] as? String
            guard [id != nil, link != nil, key != nil].filter({ $0 }).count == 1 else {
                throw ValidationError(
                    "invalid_media",
                    "\(path) needs exactly one of \"id\" (an uploaded media id), \"link\" (an https URL) or \"media_key\" (an asset of the media library)"
                )
            }
            if let link, URL(string: link)?.scheme.map({ ["http", "https"].contains($0.lowercased()) }) != true {
                throw ValidationError("invalid_media", "\(path).link must be an http(s) URL")
            }
        case "location":
            guard [object["latitude"], object["longitude"]].allSatisfy({ $0 is NSNumber && !CanonicalJSON.isBoolean($0!) }) else {
                throw ValidationError("invalid_location", "\(path).latitude and .longitude are required numbers")
            }
        case "interactive":
            guard object["type"] is String else {
                throw ValidationError("invalid_interactive", "\(path).type is required (button, list, cta_url, …)")
            }
        case "reaction":
            guard object["message_id"] is String else {
                throw ValidationError("invalid_reaction", "\(path).message_id is required: the wamid reacted to")
            }
        default:
            break
        }
    }

    private func takeIdempotencyKey(_ body: inout [String: Any], path: String) throws(ValidationError) -> String? {
        guard let value = body.removeValue(forKey: "idempotency_key"), !(value is NSNull) else { return nil }
        // No NUL: PostgreSQL's text cannot hold one (the store would fail instead of answering).
        guard let key = value as? String, !key.isEmpty, key.count <= Self.maxIdempotencyKeyLength, !key.unicodeScalars.contains("\u{0}")
        else {
            throw ValidationError(
                "invalid_idempotency_key",
                "\(path)idempotency_key must be a string of 1 to \(Self.maxIdempotencyKeyLength) characters, without NUL characters")
        }
        return key
    }

    private func takeMaxAttempts(_ body: inout [String: Any], path: String) throws(ValidationError) -> Int? {
        guard let value = body.removeValue(forKey: "max_attempts"), !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !CanonicalJSON.isBoolean(number), number.doubleValue == number.doubleValue.rounded(),
            (1...Self.maxAttemptsLimit).contains(number.intValue)
        else {
            throw ValidationError("invalid_max_attempts", "\(path)max_attempts must be a whole number from 1 to \(Self.maxAttemptsLimit)")
        }
        return number.intValue
    }

    private func takeSenderID(_ body: inout [String: Any], path: String) throws(ValidationError) -> String? {
        guard let value = body.removeValue(forKey: "sender_id"), !(value is NSNull) else { return nil }
        guard let sender = value as? String, Self.isSenderID(sender) else {
            throw ValidationError("invalid_sender_id", "\(path)sender_id must be a Meta phone number id (letters, digits, - or _)")
        }
        return sender
    }

    private func takePool(_ body: inout [String: Any], path: String) throws(ValidationError) -> String? {
        guard let value = body.removeValue(forKey: "pool"), !(value is NSNull) else { return nil }
        guard let pool = value as? String, Self.isSenderID(pool) else {
            throw ValidationError("invalid_pool", "\(path)pool must be a pool name: 1 to 64 letters, digits, - or _")
        }
        return pool
    }

    /// True for a Meta phone number id as Pigeon takes it: 1–64 ASCII letters, digits, `-` or `_`.
    public static func isSenderID(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// True for `+` (optional) followed by 7 to 15 ASCII digits.
    public static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (7...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private static var typeList: String { supportedTypes.sorted().joined(separator: ", ") }

    private static func contentHint(_ type: String) -> String {
        switch type {
        case "text": "{\"body\": \"…\"}"
        case "template": "{\"name\": \"…\", \"language\": {\"code\": \"en_US\"}, \"components\": […]}"
        case _ where mediaTypes.contains(type): "{\"id\": \"<media id>\"}, {\"link\": \"https://…\"} or {\"media_key\": \"<asset key>\"}"
        default: "Meta's \(type) object"
        }
    }

    static func render(_ value: Any) -> String {
        if let text = value as? String { return "\"\(text)\"" }
        return "\(value)"
    }

    static func describe(_ error: any Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        return text.isEmpty ? "syntax error" : text
    }
}
