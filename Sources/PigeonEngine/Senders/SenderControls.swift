import PigeonCore

/// One `SenderControl` per kind of sender: each effect goes to the control of its sender's kind.
public struct SenderControls: SenderControl {
    let controls: [SenderKind: any SenderControl]

    public init(_ controls: [SenderKind: any SenderControl]) {
        self.controls = controls
    }

    public func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation? {
        await controls[sender.kind]?.perform(effect, sender: sender, secrets: secrets)
    }
}
