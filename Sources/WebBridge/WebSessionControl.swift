import Foundation
import PigeonCore
import PigeonEngine

/// The `SenderControl` of web sessions: carries out what the sender lifecycle asks at the session's WAHA
/// bridge and reads the status that follows (and, when it works, `/me`: a reachout timelock and the
/// new-chat quota). A bridge that cannot be reached (or refuses the call) is a
/// drop that does not count toward deleting the credentials; a stop asked for by an operator leads to no
/// event (the sender is already paused).
public struct WebSessionControl: SenderControl, PairingControl {
    let client: WAHAClient
    /// For pairing, which an operator's request waits for: bounded tighter (default 5 s).
    let pairingClient: WAHAClient

    public init(client: WAHAClient = WAHAClient(), pairingClient: WAHAClient = WAHAClient(timeout: .seconds(5))) {
        self.client = client
        self.pairingClient = pairingClient
    }

    public func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation? {
        guard let session = sender.bridge(secrets) else { return nil }
        let action: WAHAClient.Action?
        switch effect {
        case .startSession: action = .start
        case .restartSession: action = .restart
        case .stopSession: action = .stop
        case .logoutSession: action = .logout
        case .probe: action = nil
        case .reroute, .alert: return nil
        }
        if let action, let failure = await client.perform(action, session) {
            return SenderObservation(event: .dropped(reason: "\(action.rawValue) at the bridge failed: \(failure)"))
        }
        if action == .stop { return nil }
        switch await client.status(session) {
        case .success(let status):
            guard status == .working, case .success(let account) = await client.me(session) else { return status.observation }
            return SenderObservation(
                event: status.event, restricted: account.restricted, restrictedUntil: account.restrictedUntil, capping: account.capping)
        case .failure(let failure):
            return SenderObservation(event: .dropped(reason: "reading the session failed: \(failure)"))
        }
    }

    /// Asks the bridge for the QR code (`GET /api/{session}/auth/qr`) or a pairing code
    /// (`POST /api/{session}/auth/request-code`); WAHA's 422 means the session is not waiting for one.
    public func pair(_ request: PairingRequest, sender: SenderRecord, secrets: SenderSecrets) async -> PairingAnswer {
        guard let session = sender.bridge(secrets) else { return .unsupported }
        let result: Result<Data, WAHAClient.BridgeFailure>
        switch request {
        case .qrImage: result = await pairingClient.qr(session, raw: false)
        case .qrValue: result = await pairingClient.qr(session, raw: true)
        case .code(let phone): result = await pairingClient.requestCode(session, phoneNumber: phone)
        }
        switch result {
        case .failure(let failure) where failure.status == 422:
            return .notWaiting(failure.reason)
        case .failure(let failure):
            return .failed("\(failure)")
        case .success(let body):
            let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            switch request {
            case .qrImage: return .image(body)
            case .qrValue: return (object?["value"] as? String).map(PairingAnswer.value) ?? .failed("the bridge answered without a QR value")
            case .code: return (object?["code"] as? String).map(PairingAnswer.code) ?? .failed("the bridge answered without a code")
            }
        }
    }
}
