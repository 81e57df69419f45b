import Foundation

/// A status webhook body in Meta's envelope (`object`, `entry[].changes[].value.statuses[]`), as the
/// simulator posts it and as tests forge it.
public struct StatusWebhookBody: Sendable {
    /// One entry of `statuses[]`.
    public struct Status: Sendable {
        public var wamid: String
        public var status: String
        /// Unix seconds, sent as a string like Meta does.
        public var timestamp: Int
        public var recipientID: String
        public var callbackData: String?
        /// For `failed`: Meta's error code, title and details.
        public var error: (code: Int, title: String, details: String)?

        public init(
            wamid: String, status: String, timestamp: Int, recipientID: String = "15550001111", callbackData: String? = nil,
            error: (code: Int, title: String, details: String)? = nil
        ) {
            self.wamid = wamid
            self.status = status
            self.timestamp = timestamp
            self.recipientID = recipientID
            self.callbackData = callbackData
            self.error = error
        }

        var object: [String: Any] {
            var item: [String: Any] = ["id": wamid, "status": status, "recipient_id": recipientID, "timestamp": String(timestamp)]
            if let callbackData { item["biz_opaque_callback_data"] = callbackData }
            if status == "sent" || status == "delivered" {
                item["pricing"] = ["billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"]
            }
            if let error {
                item["errors"] = [["code": error.code, "title": error.title, "message": error.title, "error_data": ["details": error.details]]]
            }
            return item
        }
    }

    /// The JSON text of a webhook carrying `statuses` for phone number `phoneNumberID`.
    public static func json(_ statuses: [Status], phoneNumberID: String) -> String {
        let envelope: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [
                [
                    "id": "102290129340398",
                    "changes": [
                        [
                            "field": "messages",
                            "value": [
                                "messaging_product": "whatsapp",
                                "metadata": ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID],
                                "statuses": statuses.map(\.object),
                            ] as [String: Any],
                        ]
                    ],
                ]
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
