import PigeonCore

/// One `SenderControl` per kind of sender: each effect (and pairing request) goes to the control of its
/// sender's kind.
public struct SenderControls: SenderControl, PairingControl {
    let controls: [SenderKind: any SenderControl]

    public init(_ controls: [SenderKind: any SenderControl]) {
        self.controls = controls
    }

    public func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation? {
        await controls[sender.kind]?.perform(effect, sender: sender, secrets: secrets)
    }

    public func pair(_ request: PairingRequest, sender: SenderRecord, secrets: SenderSecrets) async -> PairingAnswer {
        guard let control = controls[sender.kind] as? any PairingControl else { return .unsupported }
        return await control.pair(request, sender: sender, secrets: secrets)
    }
}
