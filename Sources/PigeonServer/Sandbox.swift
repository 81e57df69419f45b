import PigeonCore
import PigeonEngine

/// What the sandbox adds besides its Cloud API number: a WhatsApp Web session (`sandbox-web`, pool `web`)
/// on the simulator's WAHA bridge, paired, with a short pause between messages so its loop is quick to see.
enum Sandbox {
    /// The sandbox web session's sender id, session name and pool.
    static let webSession = "sandbox-web"
    static let webPool = "web"

    /// Creates the sandbox's web session, or points the one kept from an earlier run at this run's
    /// simulator and webhook secret.
    static func ensureWebSession(_ senders: SenderService, bridgeURL: String, webhookSecret: String) async throws {
        if try await senders.sender(webSession) != nil {
            var patch = SenderPatch()
            patch.bridgeURL = bridgeURL
            patch.webhookSecret = webhookSecret
            _ = try await senders.update(webSession, patch)
            try await senders.check(webSession)
            return
        }
        var limits = SenderLimits.defaults(for: .webSession)
        limits.delay = SenderLimits.DelayRange(min: .seconds(1), max: .seconds(3))
        let draft = SenderDraft(
            id: webSession, kind: .webSession, pool: webPool, limits: limits,
            settings: SenderSettings(bridgeURL: bridgeURL, session: webSession), secrets: SenderSecrets(webhookSecret: webhookSecret),
            enabled: true)
        _ = try await senders.create(draft)
    }
}
