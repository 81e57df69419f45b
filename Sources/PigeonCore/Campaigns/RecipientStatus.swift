/// Where a campaign recipient is. Once a message exists for it, the recipient follows that message's status
/// (`following`), in the same transaction as every change of the message: it can never disagree with it.
///
/// - `pending`: waiting for its day (`scheduled_send_date`), or reset for a retry on a later day.
/// - `sending`: its message is queued, in flight or waiting for a retry of its own.
/// - `sent`, `delivered`, `read`: as its message; never moves down.
/// - `failed`: its message failed; `CampaignRetryRule` says whether a later day may try again.
/// - `skipped`: never sent (`skip_reason`: it opted out, the campaign was cancelled, or its message was
///   cancelled by an operator).
public enum RecipientStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, sending, sent, delivered, read, failed, skipped

    /// The recipient status a message in `status` means.
    public static func following(_ status: MessageStatus) -> RecipientStatus {
        switch status {
        case .queued, .sending, .retryScheduled: .sending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        case .failed: .failed
        case .cancelled: .skipped
        }
    }
}

/// Why a recipient was skipped.
public enum SkipReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The number is on the opt-out list.
    case optedOut = "opted_out"
    /// The campaign was cancelled before it was sent.
    case campaignCancelled = "campaign_cancelled"
    /// An operator cancelled its message.
    case messageCancelled = "message_cancelled"
    /// Its values make a message Meta would refuse (such as a text over 4,096 characters).
    case invalidMessage = "invalid_message"
}
