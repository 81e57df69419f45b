import Foundation

/// The bodies Pigeon forwards to the application: Meta's own webhook envelope, so the application's
/// existing handler accepts them unchanged.
public enum ForwardBody {
    /// A webhook carrying one status. `id` is the message id the application knows (Meta's wamid, or
    /// Pigeon's id when that is what the drop-in endpoint answered); `phoneNumberID` the sender.
    public static func status(_ report: StatusReport, id: String, phoneNumberID: String?) -> Data {
        var status: [String: Any] = ["id": id, "status": report.status]
        if let timestamp = report.timestamp { status["timestamp"] = String(Int(timestamp.timeIntervalSince1970)) }
        if let recipient = report.recipientID { status["recipient_id"] = recipient }
        if let callback = report.callbackData { status["biz_opaque_callback_data"] = callback }
        if let pricing = json(report.pricing) { status["pricing"] = pricing }
        if let conversation = json(report.conversation) { status["conversation"] = conversation }
        if !report.errors.isEmpty {
            status["errors"] = report.errors.map { error -> [String: Any] in
                var item: [String: Any] = ["code": error.code, "title": error.title, "message": error.title]
                if let details = error.details { item["error_data"] = ["details": details] }
                return item
            }
        }
        var value: [String: Any] = ["messaging_product": "whatsapp", "statuses": [status]]
        if let phoneNumberID = phoneNumberID ?? report.phoneNumberID { value["metadata"] = ["phone_number_id": phoneNumberID] }
        return MetaWebhook.envelope(entry: nil, value: value)
    }

    private static func json(_ text: String?) -> Any? {
        text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
    }
}
