import Crypto
import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine
import Prometheus
import Synchronization

/// Where `GET /metrics` reads from: the registry the engine's `PigeonMetrics` factory writes into, and the
/// bearer token it asks for (`PIGEON_METRICS_TOKEN`; nil leaves it open).
public struct MetricsExport: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let token: String?

    public init(registry: PrometheusCollectorRegistry, token: String?) {
        self.registry = registry
        self.token = token
    }
}

/// `GET /metrics`: Prometheus's text exposition format. The engine's counters and histograms count as things
/// happen; the gauges (queue depth by status, each sender's status and consecutive failures, the recipients
/// of each campaign not yet ended by status) are read from the store at each scrape, and a sender's or
/// campaign's series go when it does.
struct MetricsRoutes {
    let service: MessageService
    let campaigns: CampaignService
    let export: MetricsExport
    let gauges = ScrapeGauges()

    func register(on router: Router<PigeonRequestContext>) {
        router.get("/metrics") { request, _ in
            try check(request)
            try await scrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: export.registry.emitToBuffer())))
        }
    }

    private func check(_ request: Request) throws {
        guard let token = export.token else { return }
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let presented, SignatureCheck.equal(Array(SHA256.hash(data: Array(presented.utf8))), Array(SHA256.hash(data: Array(token.utf8))))
        else {
            throw APIError(.unauthorized, "invalid_metrics_token", "send PIGEON_METRICS_TOKEN as the header Authorization: Bearer <token>")
        }
    }

    /// Sets every gauge from the store and drops the series of senders and campaigns that are gone.
    private func scrape() async throws {
        let registry = export.registry
        // Only the counts are read (the window of attempts is empty).
        let delivery = try await service.store.stats(windowStart: .distantFuture)
        for status in MessageStatus.allCases {
            gauges.set("pigeon_queue_depth", ["status": status.rawValue], Double(delivery.counts[status] ?? 0), in: registry)
        }
        for sender in try await service.senders.reload() {
            for status in SenderStatus.allCases {
                gauges.set(
                    "pigeon_sender_status", ["sender": sender.id, "kind": sender.kind.rawValue, "status": status.rawValue],
                    sender.health.status == status ? 1 : 0, in: registry)
            }
            gauges.set(
                "pigeon_sender_consecutive_failures", ["sender": sender.id], Double(sender.health.consecutiveFailures), in: registry)
        }
        for campaign in try await campaigns.all(where: { $0.status.isActive || $0.status == .paused }) {
            let counts = try await campaigns.counts(campaign.id)
            for status in RecipientStatus.allCases {
                gauges.set(
                    "pigeon_campaign_recipients", ["campaign": campaign.id, "status": status.rawValue], Double(counts.byStatus[status] ?? 0),
                    in: registry)
            }
            gauges.set(
                "pigeon_campaign_sent_today", ["campaign": campaign.id], Double(campaign.day.sent), in: registry)
        }
        gauges.dropUnset(in: registry)
    }
}

/// The scrape's gauges: one a scrape did not set again belongs to a sender or campaign that is gone (or
/// ended) and is unregistered.
final class ScrapeGauges: Sendable {
    private struct Key: Hashable {
        var name: String
        var labels: [String]
    }

    private struct Entry {
        var gauge: Gauge
        var seen: Bool
    }

    private let entries = Mutex<[Key: Entry]>([:])

    func set(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double, in registry: PrometheusCollectorRegistry) {
        let pairs = labels.map { ($0.key, $0.value) }
        let key = Key(name: name, labels: pairs.flatMap { [$0.0, $0.1] })
        entries.withLock { entries in
            let gauge = entries[key]?.gauge ?? registry.makeGauge(name: name, labels: pairs)
            gauge.set(value)
            entries[key] = Entry(gauge: gauge, seen: true)
        }
    }

    func dropUnset(in registry: PrometheusCollectorRegistry) {
        entries.withLock { entries in
            for (key, entry) in entries {
                if entry.seen {
                    entries[key]?.seen = false
                } else {
                    registry.unregisterGauge(entry.gauge)
                    entries[key] = nil
                }
            }
        }
    }
}
