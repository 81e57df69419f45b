/// Where a campaign is. `CampaignLifecycle` is the only place that moves a campaign between these.
///
/// ```
/// draft ──start──> scheduled <──> running          (the scheduler: work now, or waiting for the start
///                    │  ^            │              date, the send window or the next day)
///                    │  └──resume── paused <──pause─┤  (an operator, or Meta pausing the template)
///                    │                              │
///                    └──────────────┬───────────────┘
///                                   ├──nothing pending, sending or retryable──> completed ──re-arm──> scheduled
///   any but completed ──cancel──> cancelled
/// ```
public enum CampaignStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Created, recipients may be imported; nothing is sent until `start`.
    case draft
    /// Started, waiting for its start date, its send window or the next day's capacity.
    case scheduled
    /// Started, with work to send now.
    case running
    /// Stopped by an operator or by Meta (`pause_reason` says which); left by `resume`.
    case paused
    /// Nothing is pending, sending or retryable. A re-armed failure schedules it again.
    case completed
    /// Stopped for good by an operator: what was pending is skipped.
    case cancelled

    /// Whether the scheduler sends for a campaign in this status.
    public var isActive: Bool { self == .scheduled || self == .running }
}

/// An operator's or the scheduler's action on a campaign.
public enum CampaignAction: String, Sendable, Hashable, CaseIterable {
    case start, pause, resume, cancel, complete, rearm
}

/// The campaign state machine: which actions apply in which status, and where they lead.
public enum CampaignLifecycle {
    /// The status `action` leads to from `status`, or nil when it does not apply there.
    public static func next(_ status: CampaignStatus, _ action: CampaignAction) -> CampaignStatus? {
        switch (action, status) {
        case (.start, .draft): .scheduled
        case (.pause, .scheduled), (.pause, .running): .paused
        case (.resume, .paused): .scheduled
        case (.cancel, .completed), (.cancel, .cancelled): nil
        case (.cancel, _): .cancelled
        case (.complete, .scheduled), (.complete, .running): .completed
        case (.rearm, .completed): .scheduled
        case (.rearm, let status) where status != .cancelled: status
        default: nil
        }
    }

    /// What to tell an operator whose `action` does not apply in `status`.
    public static func refusal(_ status: CampaignStatus, _ action: CampaignAction) -> String {
        let allowed = CampaignAction.allCases.filter { $0 != .complete && $0 != .rearm && next(status, $0) != nil }
        let hint = allowed.isEmpty ? "nothing can change it" : "it can: \(allowed.map(\.rawValue).joined(separator: ", "))"
        return "the campaign is \(status.rawValue), so it cannot \(action.rawValue); \(hint)"
    }
}
