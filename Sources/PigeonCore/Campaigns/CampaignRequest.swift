import Foundation

/// A new campaign as `POST /v1/campaigns` asks for it, validated.
public struct CampaignDraft: Sendable {
    public var name: String
    /// The message object (without `to`) as canonical JSON.
    public var message: String
    /// The placeholders the message uses: every recipient needs a value for each.
    public var variables: Set<String>
    public var senderID: String?
    public var pool: String?
    /// Nil: the sender's messaging limit decides (`CampaignRequestValidator.fallbackDailyLimit` without one).
    public var dailySendLimit: Int?
    /// Nil: today in `timeZone`.
    public var startDate: String?
    public var timeZone: String
    public var sendWindow: SendWindow?
    public var maxRetries: Int
}

/// Checks `POST /v1/campaigns` bodies. Every rejection says what to fix.
public enum CampaignRequestValidator {
    /// The daily limit of a campaign that gives none, on a sender whose messaging limit is unknown: Meta's
    /// lowest tier (250 unique recipients a day).
    public static let fallbackDailyLimit = 250
    /// The most retries a recipient may be given.
    public static let maxRetriesLimit = 30
    /// The longest name.
    public static let maxNameLength = 200

    /// Validates a body.
    public static func draft(json: [UInt8]) throws(ValidationError) -> CampaignDraft {
        var body = try SenderRequestValidator.object(json)
        guard let name = body.removeValue(forKey: "name") as? String,
            !BlankText.isBlank(name), name.unicodeScalars.count <= maxNameLength
        else {
            throw ValidationError("invalid_name", "name is required: a text of 1 to \(maxNameLength) characters")
        }
        let (message, variables) = try messageObject(body.removeValue(forKey: "message"))
        let senderID = try identifier(body.removeValue(forKey: "sender_id"), field: "sender_id")
        let pool = try identifier(body.removeValue(forKey: "sender_pool"), field: "sender_pool")
        if senderID != nil, pool != nil {
            throw ValidationError(
                "sender_and_pool", "give sender_id (every message from that sender) or sender_pool (any sender of the pool), not both")
        }
        let limit = try integer(body.removeValue(forKey: "daily_send_limit"), field: "daily_send_limit", in: 1...SenderLimits.maxDailyCap)
        let timeZone = try timeZone(body.removeValue(forKey: "time_zone"))
        var startDate: String?
        if let value = body.removeValue(forKey: "start_date") {
            guard let text = value as? String, text.wholeMatch(of: /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/) != nil else {
                throw ValidationError("invalid_start_date", "start_date must be a date written yyyy-MM-dd, such as 2026-12-24")
            }
            guard LocalCalendar(timeZone: timeZone).date(text) != nil else {
                throw ValidationError("unknown_start_date", "start_date \(text) is not a day of the calendar", kind: .unusable)
            }
            startDate = text
        }
        let window = try window(body.removeValue(forKey: "send_window"))
        let maxRetries = try integer(body.removeValue(forKey: "max_retries"), field: "max_retries", in: 0...maxRetriesLimit) ?? 3
        if let unknown = body.keys.sorted().first {
            throw ValidationError(
                "unknown_field",
                "\(unknown) is not a campaign field: use name, message, sender_id or sender_pool, daily_send_limit, start_date, time_zone, send_window, max_retries"
            )
        }
        return CampaignDraft(
            name: name, message: message, variables: variables, senderID: senderID, pool: pool, dailySendLimit: limit,
            startDate: startDate, timeZone: timeZone, sendWindow: window, maxRetries: maxRetries)
    }

    /// The message object checked as `POST /v1/messages` would check it (with each recipient's number as `to`).
    private static func messageObject(_ value: Any?) throws(ValidationError) -> (String, Set<String>) {
        guard let value else {
            throw ValidationError(
                "missing_message",
                "message is required: a message object as POST /v1/messages takes it, without \"to\", such as {\"type\": \"template\", \"template\": {…}}"
            )
        }
        guard var object = value as? [String: Any] else { throw ValidationError("invalid_message", "message must be a JSON object") }
        for field in ["to", "sender_id", "pool", "idempotency_key"] where object[field] != nil {
            throw ValidationError(
                "invalid_message",
                "message.\(field) must not be given: \(field == "to" ? "each recipient's phone is the to" : field == "idempotency_key" ? "Pigeon keys each recipient's message itself" : "give sender_id or sender_pool on the campaign")"
            )
        }
        object["to"] = "+10000000000"
        _ = try MessageValidator().validate(object: object, path: "message.")
        object.removeValue(forKey: "to")
        let variables = Placeholders.names(in: object)
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw ValidationError("invalid_message", "message could not be encoded as JSON")
        }
        return (String(decoding: data, as: UTF8.self), variables)
    }

    private static func identifier(_ value: Any?, field: String) throws(ValidationError) -> String? {
        guard let value else { return nil }
        guard let text = value as? String, MessageValidator.isSenderID(text) else {
            throw ValidationError("invalid_\(field)", "\(field) must be 1 to 64 letters, digits, - or _")
        }
        return text
    }

    private static func integer(_ value: Any?, field: String, in range: ClosedRange<Int>) throws(ValidationError) -> Int? {
        guard let value else { return nil }
        guard !CanonicalJSON.isBoolean(value), let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue),
            range.contains(integer)
        else {
            throw ValidationError("invalid_\(field)", "\(field) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return integer
    }

    private static func timeZone(_ value: Any?) throws(ValidationError) -> String {
        guard let value else { return "UTC" }
        guard let text = value as? String else {
            throw ValidationError("invalid_time_zone", "time_zone must be the text of an IANA time zone, such as Europe/Berlin")
        }
        guard TimeZone(identifier: text) != nil else {
            throw ValidationError(
                "unknown_time_zone", "time_zone \(text) is not an IANA time zone; use one such as Europe/Berlin or America/Sao_Paulo",
                kind: .unusable)
        }
        return text
    }

    private static func window(_ value: Any?) throws(ValidationError) -> SendWindow? {
        guard let value else { return nil }
        let hint =
            "send_window must be {\"from\": \"HH:MM\", \"to\": \"HH:MM\"} in local time, from before to, such as {\"from\": \"09:00\", \"to\": \"18:00\"}"
        guard let object = value as? [String: Any], object.count == 2, let fromText = object["from"] as? String,
            let toText = object["to"] as? String, let from = SendWindow.minutes(fromText), let to = SendWindow.minutes(toText)
        else { throw ValidationError("invalid_send_window", hint) }
        guard from < to else { throw ValidationError("empty_send_window", "send_window ends before it starts: \(hint)", kind: .unusable) }
        return SendWindow(from: from, to: to)
    }
}
