import Foundation

/// What one webhook POST from Meta carries, read leniently: every well-formed status is kept, and whatever
/// is malformed is described in `problems` rather than failing the whole payload.
public struct MetaWebhook: Sendable, Hashable {
    /// The statuses, in payload order.
    public var statuses: [StatusReport] = []
    /// The inbound user messages, each as its own webhook body in Meta's envelope (for forwarding).
    public var inbound: [InboundMessage] = []
    /// Updates about the business account or its numbers (`AccountUpdate.fields`).
    public var accountUpdates: [AccountUpdate] = []
    /// Meta's verdicts on message templates.
    public var templateUpdates: [TemplateStatusUpdate] = []
    /// What was wrong with the payload, for the log and the stored event.
    public var problems: [String] = []

    public init(statuses: [StatusReport] = [], inbound: [InboundMessage] = [], problems: [String] = []) {
        self.statuses = statuses
        self.inbound = inbound
        self.problems = problems
    }

    /// Parses a webhook body (`{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": …}]}]}`).
    public init(parsing body: Data) {
        guard let root = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            problems.append("the body is not a JSON object")
            return
        }
        guard let entries = root["entry"] as? [[String: Any]] else {
            problems.append("no entry array")
            return
        }
        for (e, entry) in entries.enumerated() {
            guard let changes = entry["changes"] as? [[String: Any]] else {
                problems.append("entry[\(e)] has no changes array")
                continue
            }
            for (c, change) in changes.enumerated() {
                guard let value = change["value"] as? [String: Any] else {
                    problems.append("entry[\(e)].changes[\(c)] has no value object")
                    continue
                }
                if let field = change["field"] as? String, AccountUpdate.fields.contains(field) {
                    accountUpdates.append(
                        AccountUpdate(
                            field: field, wabaID: entry["id"] as? String, event: value["event"] as? String,
                            banState: (value["ban_info"] as? [String: Any])?["waba_ban_state"] as? String))
                    continue
                }
                if change["field"] as? String == TemplateStatusUpdate.field {
                    if let update = TemplateStatusUpdate(value: value) {
                        templateUpdates.append(update)
                    } else {
                        problems.append("entry[\(e)].changes[\(c)] is a template update without message_template_name or event")
                    }
                    continue
                }
                let phoneNumberID = (value["metadata"] as? [String: Any])?["phone_number_id"] as? String
                for item in (value["messages"] as? [[String: Any]]) ?? [] {
                    guard let wamid = item["id"] as? String else {
                        problems.append("entry[\(e)].changes[\(c)].value.messages has a message without id")
                        continue
                    }
                    var single = value
                    single["messages"] = [item]
                    single.removeValue(forKey: "statuses")
                    inbound.append(
                        InboundMessage(
                            wamid: wamid, from: item["from"] as? String ?? "",
                            body: Self.envelope(entry: entry["id"] as? String, value: single), text: Self.text(of: item)))
                }
                for (s, item) in ((value["statuses"] as? [Any]) ?? []).enumerated() {
                    let path = "entry[\(e)].changes[\(c)].value.statuses[\(s)]"
                    guard let object = item as? [String: Any] else {
                        problems.append("\(path) is not an object")
                        continue
                    }
                    switch Self.status(object) {
                    case .success(var report):
                        report.phoneNumberID = phoneNumberID
                        statuses.append(report)
                    case .failure(let problem): problems.append("\(path): \(problem.reason)")
                    }
                }
            }
        }
    }

    /// `problems` in one line, or nil when there were none.
    public var problemSummary: String? { problems.isEmpty ? nil : problems.joined(separator: "; ") }

    private struct Problem: Error { let reason: String }

    /// `value` alone in Meta's envelope.
    /// The text of an inbound message item, for the opt-out keywords.
    static func text(of item: [String: Any]) -> String? {
        if let body = (item["text"] as? [String: Any])?["body"] as? String { return body }
        if let text = (item["button"] as? [String: Any])?["text"] as? String { return text }
        let interactive = item["interactive"] as? [String: Any]
        let reply = (interactive?["button_reply"] ?? interactive?["list_reply"]) as? [String: Any]
        return reply?["title"] as? String
    }

    static func envelope(entry: String?, value: [String: Any]) -> Data {
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": entry ?? "pigeon", "changes": [["field": "messages", "value": value]]]],
        ]
        return Data(((try? CanonicalJSON.string(envelope)) ?? "{}").utf8)
    }

    private static func status(_ object: [String: Any]) -> Result<StatusReport, Problem> {
        guard let wamid = object["id"] as? String, !wamid.isEmpty else { return .failure(Problem(reason: "no id")) }
        guard let status = object["status"] as? String, !status.isEmpty else {
            return .failure(Problem(reason: "no status"))
        }
        let timestamp = (object["timestamp"] as? String).flatMap(TimeInterval.init) ?? (object["timestamp"] as? TimeInterval)
        let errors = ((object["errors"] as? [[String: Any]]) ?? []).compactMap { error -> GraphError? in
            guard let code = error["code"] as? Int else { return nil }
            let details = (error["error_data"] as? [String: Any])?["details"] as? String
            return GraphError(code: code, title: error["title"] as? String ?? error["message"] as? String ?? "", details: details)
        }
        return .success(
            StatusReport(
                wamid: wamid, status: status, timestamp: timestamp.map(Date.init(timeIntervalSince1970:)),
                recipientID: object["recipient_id"] as? String, callbackData: object["biz_opaque_callback_data"] as? String,
                errors: errors, pricing: compact(object["pricing"]), conversation: compact(object["conversation"])))
    }

    private static func compact(_ value: Any?) -> String? {
        guard let value, value is [String: Any] else { return nil }
        return try? CanonicalJSON.string(value)
    }
}

/// An inbound user message from a webhook, ready to forward.
public struct InboundMessage: Sendable, Hashable {
    /// Its wamid (Meta may deliver it more than once).
    public var wamid: String
    /// The user's WhatsApp id.
    public var from: String
    /// A webhook body in Meta's envelope carrying just this message (with the contacts and metadata).
    public var body: Data
    /// What the user wrote or tapped: a text's body, a quick-reply button's text, an interactive reply's
    /// title; nil for other messages.
    public var text: String?

    public init(wamid: String, from: String, body: Data, text: String? = nil) {
        self.wamid = wamid
        self.from = from
        self.body = body
        self.text = text
    }
}
