import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOFoundationCompat
import Synchronization

/// `pigeon bench`: drives messages end to end through a running Pigeon's HTTP API and reports
/// throughput and enqueue-to-sent latency. Pigeon's upstream decides what is measured: point it at
/// `../shared/bench` (see `scripts/bench.sh`).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure messages/s and enqueue-to-sent latency of a running Pigeon (see scripts/bench.sh).")

    @Option(help: "Pigeon's base URL; several, separated by commas, share the requests in turn (instances on one database).")
    var url: String = "http://127.0.0.1:8080"
    @Option(name: .customLong("api-key"), help: "API key (default: PIGEON_API_KEY).")
    var apiKey: String?
    @Option(help: "Messages to send.")
    var messages: Int = 100_000
    @Option(help: "Messages per request: 1 posts to /v1/messages, more to /v1/messages/batch.")
    var batch: Int = 100
    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 8
    @Option(help: "Offered load in messages/s; 0 sends as fast as Pigeon accepts.")
    var rate: Double = 0
    @Option(help: "Give up waiting for messages to settle after this many seconds.")
    var timeout: Double = 600
    @Flag(name: .customLong("accept-only"), help: "Only post the messages (measure intake and backlog); do not wait for sends.")
    var acceptOnly = false

    func validate() throws {
        guard !url.split(separator: ",").isEmpty else { throw ValidationError("--url needs at least one URL") }
        guard messages > 0, batch >= 1, batch <= 1000, concurrency >= 1 else {
            throw ValidationError("--messages must be positive, --batch 1...1000, --concurrency at least 1")
        }
        guard apiKey ?? ProcessInfo.processInfo.environment["PIGEON_API_KEY"] != nil else {
            throw ValidationError("pass --api-key or set PIGEON_API_KEY")
        }
    }

    func run() async throws {
        let key = apiKey ?? ProcessInfo.processInfo.environment["PIGEON_API_KEY"]!
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let instances = url.split(separator: ",").map { BenchAPI(http: http, url: String($0), key: key) }
        do {
            try await measure(instances)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Posts to `instances` in turn; counts and lists through the first (they share one database).
    private func measure(_ instances: [BenchAPI]) async throws {
        let api = instances[0]
        let before = acceptOnly ? 0 : try await api.settledCount()
        let requests = (messages + batch - 1) / batch
        let nextRequest = Counter()
        let rejected = Counter()
        let start = ContinuousClock.now
        let wallStart = Date()
        print(
            "sending \(messages) messages in \(requests) requests of \(batch) (\(concurrency) in flight\(rate > 0 ? ", \(Int(rate)) msg/s offered" : ""))"
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let index = nextRequest.add(1)
                        guard index < requests else { return }
                        if rate > 0 {
                            try await Task.sleep(until: start + .seconds(Double(index * batch) / rate), clock: .continuous)
                        }
                        let count = min(batch, messages - index * batch)
                        let ok = try await instances[index % instances.count].post(count: count, index: index)
                        if !ok { _ = rejected.add(count) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let accepted = ContinuousClock.now - start
        print(String(format: "accepted in %.2f s: %.0f messages/s into the API", accepted.seconds, Double(messages) / accepted.seconds))
        let failedToPost = rejected.value
        if failedToPost > 0 { print("warning: \(failedToPost) messages were not accepted") }
        if acceptOnly { return }

        let target = before + messages - failedToPost
        let deadline = ContinuousClock.now + .seconds(timeout)
        var settled = before
        while settled < target && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            settled = try await api.settledCount()
        }
        let done = settled - before
        if settled < target { print("warning: \(target - settled) messages had not settled after \(Int(timeout)) s") }
        let last = try await reportLatency(api, since: wallStart)
        let total = last.timeIntervalSince(wallStart)
        print(
            String(
                format: "end to end: %d messages settled in %.2f s = %.0f messages/s (first request to last message settled)", done, total,
                Double(done) / total))
    }

    /// Prints latency percentiles; returns when the last message settled.
    private func reportLatency(_ api: BenchAPI, since: Date) async throws -> Date {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
        var failed = 0
        var last = since
        for status in ["sent", "failed"] {
            try await api.forEachMessage(status: status, createdAfter: since) { created, sent in
                last = max(last, sent)
                if status == "failed" {
                    failed += 1
                } else {
                    _ = histogram.record(UInt64(max(0, sent.timeIntervalSince(created) * 1000)))
                }
            }
        }
        print(
            "enqueue-to-sent latency (ms) over \(histogram.totalCount) sent: p50 \(histogram.valueAtPercentile(50)), p90 \(histogram.valueAtPercentile(90)), p99 \(histogram.valueAtPercentile(99)), max \(histogram.max)"
        )
        print("dead-lettered: \(failed)")
        return last
    }
}

/// A shared counter for the load tasks.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    /// Adds `amount`; returns the value before.
    func add(_ amount: Int) -> Int { atomic.add(amount, ordering: .relaxed).oldValue }
    var value: Int { atomic.load(ordering: .relaxed) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
