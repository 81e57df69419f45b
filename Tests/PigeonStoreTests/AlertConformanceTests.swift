import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Alert storage on both stores: one open alert per kind and subject, updates only while open, pages newest
/// first.
@Suite struct AlertConformanceTests {
    static func alert(_ id: String, _ kind: AlertKind, subject: String = "system", at: Date) -> Alert {
        Alert(id: id, kind: kind, subject: subject, status: .open, message: "m \(id)", firstSeenAt: at, lastSeenAt: at, resolvedAt: nil)
    }

    static let body: @Sendable (Alert) -> Data = { Data("\($0.id) \($0.status.rawValue)".utf8) }

    @Test(arguments: StoreKind.available) func alertsOpenOncePerKindAndSubjectAndResolve(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let first = Self.alert("alt_1", .deadLettersGrew, at: t0)
            let pairing = Self.alert("alt_2", .senderNeedsPairing, subject: "web-a", at: t0)
            #expect(try await store.recordAlerts(AlertBook.Changes(opened: [first, pairing]), notify: Self.body).map(\.id) == ["alt_1", "alt_2"])
            // Another process opening the same kind and subject adds nothing.
            let twin = Self.alert("alt_3", .deadLettersGrew, at: t0.addingTimeInterval(1))
            #expect(try await other.recordAlerts(AlertBook.Changes(opened: [twin]), notify: Self.body).isEmpty)
            #expect(Set(try await store.openAlerts().map(\.id)) == ["alt_1", "alt_2"])
            var seen = first
            seen.lastSeenAt = t0.addingTimeInterval(30)
            seen.message = "newer"
            var resolved = pairing
            resolved.status = .resolved
            resolved.resolvedAt = t0.addingTimeInterval(30)
            resolved.lastSeenAt = t0.addingTimeInterval(30)
            _ = try await store.recordAlerts(AlertBook.Changes(seen: [seen], resolved: [resolved]), notify: Self.body)
            #expect(try await store.openAlerts() == [seen])
            // A resolved alert is not opened again by a late update, and its kind and subject may open anew.
            _ = try await other.recordAlerts(AlertBook.Changes(seen: [pairing]), notify: nil)
            let back = Self.alert("alt_4", .senderNeedsPairing, subject: "web-a", at: t0.addingTimeInterval(60))
            #expect(try await other.recordAlerts(AlertBook.Changes(opened: [back]), notify: nil).map(\.id) == ["alt_4"])
            let page = try await store.alerts(status: nil, limit: 2, cursor: nil)
            #expect(page.alerts.map(\.id) == ["alt_4", "alt_2"] && page.next != nil)
            #expect(page.alerts[1] == resolved, "a resolved alert did not round-trip whole")
            let rest = try await store.alerts(status: nil, limit: 2, cursor: page.next)
            #expect(rest.alerts.map(\.id) == ["alt_1"] && rest.next == nil)
            #expect(try await store.alerts(status: .resolved, limit: 10, cursor: nil).alerts.map(\.id) == ["alt_2"])

            // Each alert opened or resolved with `notify` is queued for the alert webhook, not the application,
            // and one alert's notices go in order.
            #expect(try await store.claimForwards(to: .app, limit: 10, owner: "app", now: t0.addingTimeInterval(90), leaseUntil: t0).isEmpty)
            let claim = { (owner: String) in
                try await store.claimForwards(
                    to: .alerts, limit: 10, owner: owner, now: t0.addingTimeInterval(90), leaseUntil: t0.addingTimeInterval(120))
            }
            let opened = try await claim("a")
            #expect(opened.map { String(decoding: $0.body, as: UTF8.self) } == ["alt_1 open", "alt_2 open"])
            #expect(opened.allSatisfy { $0.destination == .alerts && $0.key.hasPrefix("alert:") })
            #expect(try await claim("b").isEmpty, "the resolution went before its opening was delivered")
            try await store.finishForward(opened[1].id, owner: "a", outcome: .delivered, now: t0.addingTimeInterval(91))
            #expect(try await claim("c").map { String(decoding: $0.body, as: UTF8.self) } == ["alt_2 resolved"])
            #expect(try await store.nextForwardDue(to: .alerts) == nil)
            #expect(try await store.nextForwardDue(to: .app) == nil)
        }
    }
}
