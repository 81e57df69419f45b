import Foundation

/// Alerts as the alert monitor raises and resolves them (the rule is `AlertRule`, the bookkeeping
/// `AlertBook`: the store only keeps what they decide). At most one alert is open per kind and subject.
public protocol AlertStore: Sendable {
    /// Every open alert.
    func openAlerts() async throws -> [Alert]
    /// Writes one look's changes in one transaction: the opened alerts inserted (one whose kind and subject
    /// already has an open alert is skipped, as another process opened it), the seen and resolved ones
    /// updated; with `notify`, each alert it opened or resolved is queued, as the body `notify` makes, for the
    /// alert webhook (a forward to `alerts`, keyed by the alert's kind and subject) in that transaction.
    /// Returns the opened alerts it inserted.
    func recordAlerts(_ changes: AlertBook.Changes, notify: (@Sendable (Alert) -> Data)?) async throws -> [Alert]
    /// A page of alerts, the most recently opened first, after `cursor` (the last page's `next`),
    /// optionally of one status.
    func alerts(status: Alert.Status?, limit: Int, cursor: Int64?) async throws -> (alerts: [Alert], next: Int64?)
}
