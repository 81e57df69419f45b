import Foundation

/// A campaign recipient as stored: who, with which values, and where its sends stand.
public struct CampaignRecipient: Sendable, Hashable {
    /// Store order; the pagination cursor.
    public var seq: Int64
    public var campaignID: String
    /// The number in E.164 (`+` and digits).
    public var phone: String
    /// The values for the message's placeholders.
    public var variables: [String: String]
    public var status: RecipientStatus
    /// How many campaign messages were created for it (the first send and each retry).
    public var sends: Int
    /// How many retries it may have.
    public var maxRetries: Int
    /// The local day it is scheduled for.
    public var scheduledSendDate: String
    /// Its current message, if one was created.
    public var messageID: MessageID?
    /// The messages of its earlier sends, oldest first.
    public var earlierMessageIDs: [MessageID]
    /// The last failure: Meta's (or Pigeon's) code, class and reason, and when.
    public var errorCode: Int?
    public var errorClass: ErrorClass?
    public var failureReason: FailureReason?
    public var errorTitle: String?
    public var failedAt: Date?
    /// Why it was skipped, when it was.
    public var skipReason: SkipReason?
    public var updatedAt: Date

    public init(
        seq: Int64, campaignID: String, phone: String, variables: [String: String], status: RecipientStatus, sends: Int,
        maxRetries: Int, scheduledSendDate: String, messageID: MessageID?, earlierMessageIDs: [MessageID], errorCode: Int?,
        errorClass: ErrorClass?, failureReason: FailureReason?, errorTitle: String?, failedAt: Date?, skipReason: SkipReason?,
        updatedAt: Date
    ) {
        self.seq = seq
        self.campaignID = campaignID
        self.phone = phone
        self.variables = variables
        self.status = status
        self.sends = sends
        self.maxRetries = maxRetries
        self.scheduledSendDate = scheduledSendDate
        self.messageID = messageID
        self.earlierMessageIDs = earlierMessageIDs
        self.errorCode = errorCode
        self.errorClass = errorClass
        self.failureReason = failureReason
        self.errorTitle = errorTitle
        self.failedAt = failedAt
        self.skipReason = skipReason
        self.updatedAt = updatedAt
    }

    /// How many of its retries failed: every send but the first that is not still under way.
    public var retryCount: Int {
        let settled = [RecipientStatus.pending, .failed, .skipped].contains(status) ? sends : sends - 1
        return max(0, settled - 1)
    }
}

/// A recipient to import: its number (already E.164) and values.
public struct NewRecipient: Sendable, Hashable {
    public var phone: String
    public var variables: [String: String]

    public init(phone: String, variables: [String: String]) {
        self.phone = phone
        self.variables = variables
    }
}
