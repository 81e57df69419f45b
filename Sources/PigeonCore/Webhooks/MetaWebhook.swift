import Foundation

/// What one webhook POST from Meta carries, read leniently: every well-formed status is kept, and whatever
/// is malformed is described in `problems` rather than failing the whole payload.
public struct MetaWebhook: Sendable, Hashable {
    /// The statuses, in payload order.
    public var statuses: [StatusReport] = []
    /// How many inbound user messages the payload carried.
    public var inboundMessages = 0
    /// What was wrong with the payload, for the log and the stored event.
    public var problems: [String] = []

    public init(statuses: [StatusReport] = [], inboundMessages: Int = 0, problems: [String] = []) {
        self.statuses = statuses
        self.inboundMessages = inboundMessages
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
                inboundMessages += (value["messages"] as? [Any])?.count ?? 0
                for (s, item) in ((value["statuses"] as? [Any]) ?? []).enumerated() {
                    let path = "entry[\(e)].changes[\(c)].value.statuses[\(s)]"
                    guard let object = item as? [String: Any] else {
                        problems.append("\(path) is not an object")
                        continue
                    }
                    switch Self.status(object) {
                    case .success(let report): statuses.append(report)
                    case .failure(let problem): problems.append("\(path): \(problem.reason)")
                    }
                }
            }
        }
    }

    private struct Problem: Error { let reason: String }

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
