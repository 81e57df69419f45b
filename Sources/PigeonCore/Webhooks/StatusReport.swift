import Foundation

/// One entry of `statuses[]` in a Meta webhook: what Meta says happened to a message it accepted.
public struct StatusReport: Sendable, Hashable {
    /// Meta's message id (`statuses[].id`).
    public var wamid: String
    /// Meta's status as sent: `sent`, `delivered`, `read`, `failed`, `played`, or another Meta adds.
    public var status: String
    /// Meta's `timestamp`, when present and numeric.
    public var timestamp: Date?
    /// `recipient_id`.
    public var recipientID: String?
    /// `biz_opaque_callback_data`: Pigeon puts its message id there.
    public var callbackData: String?
    /// `errors[]` of a `failed` status.
    public var errors: [GraphError]
    /// `pricing`, as compact JSON.
    public var pricing: String?
    /// `conversation`, as compact JSON.
    public var conversation: String?
    /// The business phone number (`metadata.phone_number_id` of the webhook), when known.
    public var phoneNumberID: String?

    public init(
        wamid: String, status: String, timestamp: Date? = nil, recipientID: String? = nil, callbackData: String? = nil,
        errors: [GraphError] = [], pricing: String? = nil, conversation: String? = nil, phoneNumberID: String? = nil
    ) {
        self.phoneNumberID = phoneNumberID
        self.wamid = wamid
        self.status = status
        self.timestamp = timestamp
        self.recipientID = recipientID
        self.callbackData = callbackData
        self.errors = errors
        self.pricing = pricing
        self.conversation = conversation
    }

    /// The delivery status this report moves a message to, for `sent`, `delivered` and `read`.
    public var deliveryStatus: MessageStatus? {
        guard let status = MessageStatus(rawValue: status), status.deliveryRank != nil else { return nil }
        return status
    }

    /// Whether Meta reports that the message failed.
    public var isFailure: Bool { status == "failed" }
}
