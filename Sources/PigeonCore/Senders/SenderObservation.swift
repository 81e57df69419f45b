/// What a health check or a bridge action found out about a sender: the lifecycle event it means (nil when
/// nothing is known, such as a check that could not reach Meta) and, for a Cloud API number, what Meta
/// reported about it.
public struct SenderObservation: Sendable, Hashable {
    public var event: SenderEvent?
    public var numberHealth: NumberHealth?

    public init(event: SenderEvent?, numberHealth: NumberHealth? = nil) {
        self.event = event
        self.numberHealth = numberHealth
    }
}

extension NumberHealth {
    /// What Meta's health status means for the sender: a number that cannot send (`BLOCKED`) needs a human;
    /// one that can (`AVAILABLE`, or `LIMITED` with limitations) works.
    public var event: SenderEvent {
        healthStatus == "BLOCKED"
            ? .banned(reason: "Meta reports the number cannot send (health_status BLOCKED); see WhatsApp Manager")
            : .working
    }
}
