import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import Histogram
import Synchronization

/// `pigeon bench-webhooks`: posts Meta-shaped, signed status webhooks (sent, delivered, read: one status
/// per POST, as Meta usually sends them) for messages a running Pigeon already sent, and reports how fast
/// they are acknowledged and how fast every message reaches `read`. Run it after `pigeon bench` (see
/// `MODE=webhooks scripts/bench.sh`).
struct BenchWebhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-webhooks", abstract: "Measure webhook intake (events/s, acknowledgement latency) of a running Pigeon.")

    @Option(help: "Pigeon's base URL.")
    var url: String = "http://127.0.0.1:8080"
    @Option(name: .customLong("api-key"), help: "API key (default: PIGEON_API_KEY).")
    var apiKey: String?
    @Option(name: .customLong("app-secret"), help: "The app secret Pigeon checks signatures with (default: PIGEON_META_APP_SECRET).")
    var appSecret: String?
    @Option(help: "Most sent messages to report statuses for.")
    var messages: Int = 100_000
    @Option(help: "Webhook POSTs in flight at once.")
    var concurrency: Int = 32
    @Option(help: "Give up waiting for statuses to apply after this many seconds.")
    var timeout: Double = 600

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? environment["PIGEON_API_KEY"], let secret = appSecret ?? environment["PIGEON_META_APP_SECRET"] else {
            throw ValidationError("pass --api-key and --app-secret (or set PIGEON_API_KEY and PIGEON_META_APP_SECRET)")
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await measure(BenchAPI(http: http, url: url, key: key), secret: secret)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private func measure(_ api: BenchAPI, secret: String) async throws {
        let wamids = try await api.wamids(status: "sent", limit: messages)
        guard !wamids.isEmpty else { throw BenchError("no sent messages to report on: run pigeon bench first") }
        let readBefore = try await api.statusCounts()["read"] ?? 0
        let statuses = ["sent", "delivered", "read"]
        let total = wamids.count * statuses.count
        print("posting \(total) signed status webhooks for \(wamids.count) sent messages (\(concurrency) in flight)")
        let next = Counter()
        let refused = Counter()
        let latencies = Latencies()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let index = next.add(1)
                        guard index < total else { return }
                        let body = Self.body(wamid: wamids[index / 3], status: statuses[index % 3], second: index % 3)
                        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
                        let signature = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
                        let sent = ContinuousClock.now
                        let status = try await api.postWebhook(body, signature: signature)
                        let micros = UInt64((ContinuousClock.now - sent) / .microseconds(1))
                        latencies.record(micros)
                        if status != 200 { _ = refused.add(1) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let acknowledged = ContinuousClock.now - start
        let histogram = latencies.snapshot
        print(String(format: "acknowledged %d webhooks in %.2f s: %.0f events/s", total, acknowledged.seconds, Double(total) / acknowledged.seconds))
        print(
            "acknowledgement latency (ms): p50 \(Self.ms(histogram.valueAtPercentile(50))), p90 \(Self.ms(histogram.valueAtPercentile(90))), p99 \(Self.ms(histogram.valueAtPercentile(99))), max \(Self.ms(histogram.max))"
        )
        if refused.value > 0 { print("warning: \(refused.value) webhooks were not answered 200") }
        let deadline = ContinuousClock.now + .seconds(timeout)
        var read = 0
        repeat {
            read = (try await api.statusCounts()["read"] ?? 0) - readBefore
            if read >= wamids.count { break }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        let applied = ContinuousClock.now - start
        print(
            String(
                format: "%d of %d messages read %.2f s after the first webhook: %.0f events/s applied", read, wamids.count, applied.seconds,
                Double(total) / applied.seconds))
    }

    private static func ms(_ micros: UInt64) -> String { String(format: "%.1f", Double(micros) / 1000) }

    /// One status in Meta's envelope.
    static func body(wamid: String, status: String, second: Int) -> String {
        #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"123456789"},"statuses":[{"id":"\#(wamid)","status":"\#(status)","timestamp":"\#(1_800_000_000 + second)","recipient_id":"15550001111","pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}}]},"field":"messages"}]}]}"#
    }
}

/// Acknowledgement latencies in microseconds, recorded from many tasks.
final class Latencies: Sendable {
    private let histogram = Mutex(Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))

    func record(_ micros: UInt64) { histogram.withLock { _ = $0.record(micros) } }

    var snapshot: Histogram<UInt64> { histogram.withLock { $0 } }
}
