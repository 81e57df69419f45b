import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// `GET /metrics` over HTTP on both stores, parsed as Prometheus's text format: the families the README
/// lists, counting what happened, with labels from bounded sets only; a token when one is set.
@Suite struct MetricsTests {
    static func scrape(_ h: Harness, bearer: String? = nil) async throws -> PrometheusText {
        let reply = try await h.call(.GET, "/metrics", auth: bearer)
        #expect(reply.status == 200, "\(reply.text)")
        return try PrometheusText(parsing: reply.text)
    }

    @Test(arguments: StoreKind.available) func theFamiliesCountWhatHappenedWithBoundedLabels(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await h.simulatorReports()
            try await h.script(#"{"to": "+15550001111", "times": 1, "error": {"code": 131000, "http_status": 500}}"#)
            try await h.script(#"{"to": "+15550003333", "times": 1, "error": {"code": 132001}}"#)
            let retried = try await h.send(to: "+15550001111")
            let sent = try await h.send(to: "+15550002222")
            _ = try await h.send(to: "+15550003333")
            try await h.dispatch()
            h.clock.advance(by: .seconds(2))
            try await h.dispatch()
            let retriedRead = try await h.processUntil(retried, is: "read")
            let sentRead = try await h.processUntil(sent, is: "read")
            #expect(retriedRead && sentRead)

            let metrics = try await Self.scrape(h, bearer: nil)
            let expectedTypes = [
                "pigeon_messages_accepted_total": "counter", "pigeon_attempts_total": "counter", "pigeon_retries_total": "counter",
                "pigeon_dead_lettered_total": "counter", "pigeon_queue_depth": "gauge", "pigeon_send_duration_seconds": "histogram",
                "pigeon_enqueue_to_sent_seconds": "histogram", "pigeon_webhook_events_total": "counter", "pigeon_forwards_total": "counter",
                "pigeon_media_uploads_total": "counter", "pigeon_sender_status": "gauge", "pigeon_sender_consecutive_failures": "gauge",
                "pigeon_lease_reclaims_total": "counter",
            ]
            for (family, type) in expectedTypes { #expect(metrics.types[family] == type, "\(family): \(metrics.types[family] ?? "missing")") }
            #expect(metrics.value("pigeon_messages_accepted_total") == 3)
            #expect(metrics.value("pigeon_attempts_total", ["outcome": "sent", "error_class": "none"]) == 2)
            #expect(metrics.value("pigeon_attempts_total", ["outcome": "error", "error_class": "transient"]) == 1)
            #expect(metrics.value("pigeon_attempts_total", ["outcome": "error", "error_class": "permanent"]) == 1)
            #expect(metrics.value("pigeon_retries_total") == 1)
            #expect(metrics.value("pigeon_dead_lettered_total", ["reason": "permanent_error"]) == 1)
            #expect(metrics.value("pigeon_send_duration_seconds_count") == 4)
            #expect(metrics.value("pigeon_send_duration_seconds_bucket", ["le": "+Inf"]) == 4)
            #expect(metrics.value("pigeon_enqueue_to_sent_seconds_count") == 2)
            #expect(metrics.value("pigeon_webhook_events_total", ["status": "read"]) == 2)
            #expect(metrics.value("pigeon_queue_depth", ["status": "read"]) == 2)
            #expect(metrics.value("pigeon_queue_depth", ["status": "failed"]) == 1)
            #expect(metrics.value("pigeon_sender_status", ["sender": Harness.sender, "status": "connected"]) == 1)
            #expect(metrics.value("pigeon_sender_status", ["sender": Harness.sender, "status": "paused"]) == 0)
            #expect(metrics.value("pigeon_lease_reclaims_total") == 0)

            // Bounded labels: names from a fixed set; no message id or phone number as a value.
            let allowed: Set = ["outcome", "error_class", "reason", "status", "le", "sender", "kind", "campaign"]
            for sample in metrics.samples {
                #expect(sample.name.hasPrefix("pigeon_"), "\(sample.name)")
                for (key, value) in sample.labels where key != "le" {
                    #expect(allowed.contains(key), "\(sample.name) has the label \(key)")
                    #expect(!value.hasPrefix("msg_") && !value.hasPrefix("+") && !value.hasPrefix("wamid"), "\(sample.name){\(key)=\(value)}")
                }
            }
        }
    }

    @Test(arguments: StoreKind.available) func aCampaignShowsItsRecipientsUntilItEnds(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let created = try await h.call(
                .POST, "/v1/campaigns",
                json:
                    #"{"name": "m", "sender_id": "\#(Harness.sender)", "daily_send_limit": 10, "message": {"type": "text", "text": {"body": "hi"}}}"#)
            let id = try #require(created["id"] as? String, "\(created.text)")
            _ = try await h.call(
                .POST, "/v1/campaigns/\(id)/recipients", json: #"{"recipients": [{"phone": "+15550001111"}, {"phone": "+15550002222"}]}"#)
            #expect(try await h.call(.POST, "/v1/campaigns/\(id)/start").status == 200)
            let metrics = try await Self.scrape(h)
            #expect(metrics.value("pigeon_campaign_recipients", ["campaign": id, "status": "pending"]) == 2)
            #expect(metrics.value("pigeon_campaign_sent_today", ["campaign": id]) == 0)
            #expect(try await h.call(.POST, "/v1/campaigns/\(id)/cancel").status == 200)
            let after = try await Self.scrape(h)
            #expect(!after.samples.contains { $0.labels["campaign"] == id }, "an ended campaign's series stayed")
        }
    }

    @Test func aTokenGuardsTheEndpointWhenSet() async throws {
        var options = Harness.Options()
        options.metricsToken = "metrics-token-0123"
        try await Harness.run(.sqlite, options) { h in
            #expect(try await h.call(.GET, "/metrics", auth: nil).status == 401)
            #expect(try await h.call(.GET, "/metrics", auth: "wrong").status == 401)
            #expect(try await h.call(.GET, "/metrics", auth: Harness.apiKey).status == 401, "the API key opened the metrics")
            _ = try await Self.scrape(h, bearer: "metrics-token-0123")
        }
    }
}
