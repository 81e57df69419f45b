import Foundation

/// The rules for creating and editing senders: the health a new sender starts with, and what a `PATCH`
/// changes and asks for (a disable or enable goes through `SenderLifecycle`; a new credential on a paused
/// sender has it checked again; a move to another pool hands its pooled messages on).
public enum SenderChange {
    /// The record `draft` becomes at `now`, with its credentials already sealed, and what to do next: a
    /// Cloud API number sends at once and is checked; a web session starts connecting.
    public static func create(_ draft: SenderDraft, sealedSecrets: [UInt8], now: Date) -> (SenderRecord, [SenderEffect]) {
        var health = SenderHealth(status: draft.kind == .cloudAPI ? .connected : .connecting)
        var effects: [SenderEffect] = draft.kind == .cloudAPI ? [.probe] : [.startSession]
        if draft.kind == .cloudAPI { health.workingSince = now }
        if !draft.enabled {
            health.status = .disabled
            health.workingSince = nil
            effects = []
        }
        let record = SenderRecord(
            id: draft.id, kind: draft.kind, pool: draft.pool, limits: draft.limits, settings: draft.settings,
            sealedSecrets: sealedSecrets, health: health, createdAt: now, updatedAt: now)
        return (record, effects)
    }

    /// `record` with `patch` applied at `now` (credentials already merged and sealed into `sealedSecrets`),
    /// and what to do about it.
    public static func apply(
        _ patch: SenderPatch, to record: SenderRecord, sealedSecrets: [UInt8], lifecycle: SenderLifecycle, now: Date
    ) -> (SenderRecord, [SenderEffect]) {
        var next = record
        var effects: [SenderEffect] = []
        SenderRequestValidator.apply(patch, to: &next.limits)
        if let pool = patch.pool, pool != record.pool {
            next.pool = pool
            if record.sends { effects.append(.reroute) }
        }
        if let waba = patch.wabaID { next.settings.wabaID = waba }
        if let portfolio = patch.portfolioID { next.settings.portfolioID = portfolio }
        if let url = patch.bridgeURL { next.settings.bridgeURL = url }
        if let session = patch.session { next.settings.session = session }
        next.sealedSecrets = sealedSecrets
        if let enabled = patch.enabled, enabled != (record.health.status != .disabled) {
            let result = lifecycle.transition(next.health, .enabled(enabled), now: now)
            next.health = result.health
            effects += result.effects
        }
        if patch.replacesCredentials, case .senderError = next.health.pauseReason, next.health.status == .paused {
            effects.append(.probe)
        }
        next.updatedAt = now
        return (next, effects)
    }

    /// `secrets` with the credentials `patch` replaces.
    public static func merge(_ patch: SenderPatch, into secrets: SenderSecrets) -> SenderSecrets {
        var merged = secrets
        if let token = patch.accessToken { merged.accessToken = token }
        if let key = patch.bridgeAPIKey { merged.bridgeAPIKey = key }
        if let secret = patch.webhookSecret { merged.webhookSecret = secret }
        return merged
    }
}
