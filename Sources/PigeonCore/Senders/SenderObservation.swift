import Foundation

/// What a health check or a bridge action found out about a sender: the lifecycle event it means (nil when
/// nothing is known, such as a check that could not reach Meta), for a Cloud API number what Meta reported
/// about it, and for a web session its restriction and new-contact quota (WAHA `/me`).
public struct SenderObservation: Sendable, Hashable {
    public var event: SenderEvent?
    public var numberHealth: NumberHealth?
    /// Whether WhatsApp restricts it from new contacts (`me.reachoutTimelock.isActive`).
    public var restricted: Bool
    /// When that restriction ends (`timeEnforcementEnds`), if the bridge said.
    public var restrictedUntil: Date?
    /// The new-chat quota (`me.messageCapping`).
    public var capping: NewContactCapping?
    /// What pairing the session waits for, when the bridge reported its status.
    public var pairingStep: PairingStep?

    public init(
        event: SenderEvent?, numberHealth: NumberHealth? = nil, restricted: Bool = false, restrictedUntil: Date? = nil,
        capping: NewContactCapping? = nil, pairingStep: PairingStep? = nil
    ) {
        self.pairingStep = pairingStep
        self.restricted = restricted
        self.event = event
        self.numberHealth = numberHealth
        self.restrictedUntil = restrictedUntil
        self.capping = capping
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

extension BridgeSessionStatus {
    /// What this status, reported by the session's bridge, tells its sender.
    public var observation: SenderObservation { SenderObservation(event: event, pairingStep: pairingStep) }
}
