import Foundation
import PigeonCore
import PigeonEngine

/// The `SenderControl` of web sessions: carries out what the sender lifecycle asks at the session's WAHA
/// bridge and reads the status that follows. A bridge that cannot be reached (or refuses the call) is a
/// drop that does not count toward deleting the credentials; a stop asked for by an operator leads to no
/// event (the sender is already paused).
public struct WebSessionControl: SenderControl {
    let client: WAHAClient

    public init(client: WAHAClient = WAHAClient()) {
        self.client = client
    }

    public func perform(_ effect: SenderEffect, sender: SenderRecord, secrets: SenderSecrets) async -> SenderObservation? {
        guard sender.kind == .webSession, let url = sender.settings.bridgeURL else { return nil }
        let session = WAHAClient.Session(baseURL: url, apiKey: secrets.bridgeAPIKey, name: sender.settings.session ?? "default")
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
        case .success(let status): return SenderObservation(event: status.event)
        case .failure(let failure): return SenderObservation(event: .dropped(reason: "reading the session failed: \(failure)"))
        }
    }
}
