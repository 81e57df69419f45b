import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// Pacing end to end on both stores: two Pigeons on one database never send more than a sender's daily cap
/// in its day, what is over it waits (never failed) and goes the next day.
@Suite struct PacingTests {
    @Test(arguments: StoreKind.available) func twoProcessesNeverExceedTheDailyCapOverASimulatedDay(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let created = try await h.call(
                .POST, "/v1/senders",
                json:
                    #"{"kind": "cloud_api", "id": "300000000000003", "access_token": "tok-capped", "daily_cap": 30, "rate_limit": null, "time_zone": "America/New_York"}"#
            )
            #expect(created.status == 201, "\(created.text)")
            var ids: [String] = []
            for index in 0..<70 {
                ids.append(try await h.send(to: "+1555100\(String(format: "%04d", index))", extra: #", "sender_id": "300000000000003""#))
            }
            let (other, client) = try await h.otherPigeon()
            // The harness clock starts at 2027-01-15 08:00 UTC, 03:00 in New York: ten hours of that day follow.
            func sentCount() -> Int { h.simulator.received.filter { $0.phoneNumberID == "300000000000003" && $0.responseStatus == 200 }.count }
            for _ in 0..<20 {
                async let a = h.dispatch()
                async let b = other.dispatcher.runOnce()
                _ = try await (a, b)
                h.clock.advance(by: .seconds(3600 / 2))
            }
            #expect(sentCount() == 30, "the first local day sent \(sentCount()) against a cap of 30")
            let view = try await h.call(.GET, "/v1/senders/300000000000003")
            #expect(view["sent_today"] as? Int == 30)
            let waiting = try await ids.asyncMap { try await h.message($0)["status"] as? String }
            #expect(waiting.filter { $0 == "queued" }.count == 40, "messages over the cap were not left waiting: \(Set(waiting))")
            h.clock.advance(by: .seconds(12 * 3600))  // 01:00 the next day in New York
            async let a = h.dispatch()
            async let b = other.dispatcher.runOnce()
            _ = try await (a, b)
            #expect(sentCount() == 60, "the next day did not send up to its cap")
            try await client.shutdown()
        }
    }
}
