import Crypto
import Foundation

/// Meta's webhook signature computed the way Meta documents it, independently of Pigeon's own code:
/// `sha256=` followed by the lowercase hex HMAC-SHA256 of the raw body, keyed by the app secret.
public enum MetaSignature {
    public static func header(for body: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Builds Meta webhook bodies carrying status updates, in Meta's envelope.
public enum MetaWebhookBody {
    /// One status entry.
    public struct Status {
        public var wamid: String
        public var status: String
        public var timestamp: Int
        public var callbackData: String?
        public var errorCode: Int?

        public init(wamid: String, status: String, timestamp: Int = 1_800_000_000, callbackData: String? = nil, errorCode: Int? = nil) {
            self.wamid = wamid
            self.status = status
            self.timestamp = timestamp
            self.callbackData = callbackData
            self.errorCode = errorCode
        }
    }

    /// A body with `statuses` for phone number `phoneNumberID`.
    public static func statuses(_ statuses: [Status], phoneNumberID: String = "100000000000001") -> String {
        let items = statuses.map { status -> [String: Any] in
            var item: [String: Any] = [
                "id": status.wamid, "status": status.status, "timestamp": String(status.timestamp),
                "recipient_id": "15550001111",
            ]
            if let callback = status.callbackData { item["biz_opaque_callback_data"] = callback }
            if status.status == "sent" || status.status == "delivered" {
                item["pricing"] = ["billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"]
            }
            if let code = status.errorCode {
                item["errors"] = [["code": code, "title": "Error \(code)", "message": "Error \(code)", "error_data": ["details": "details of \(code)"]]]
            }
            return item
        }
        let body: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [[
                "id": "102290129340398",
                "changes": [[
                    "field": "messages",
                    "value": [
                        "messaging_product": "whatsapp",
                        "metadata": ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID],
                        "statuses": items,
                    ] as [String: Any],
                ]],
            ]],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]), as: UTF8.self)
    }
}
