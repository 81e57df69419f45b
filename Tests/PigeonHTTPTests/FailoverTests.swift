import Foundation
import MetaSimulator
import PigeonCore
import PigeonTestSupport
import Testing

/// Pools and failover over HTTP on both stores, time injected: a number that stops sending hands its pooled
/// messages to the others of its pool (none lost, none sent twice), pinned messages wait for their sender,
/// messages wait while no sender can send, and a message in doubt is not sent through another number before
/// its in-doubt period ends.
@Suite struct FailoverTests {
    static let second = "200000000000002"
    static let secondToken = "tok-second-BBBB2222"

    func addSecond(_ h: Harness, pool: String = "default") async throws {
        let reply = try await h.call(
            .POST, "/v1/senders", json: #"{"kind": "cloud_api", "id": "\#(Self.second)", "access_token": "\#(Self.secondToken)", "pool": "\#(pool)"}"#
        )
        #expect(reply.status == 201, "\(reply.text)")
    }

    /// How many times the simulator accepted each message (by Pigeon's id), and through which numbers.
    func acceptances(_ h: Harness) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for request in h.simulator.received where request.responseStatus == 200 {
            result[request.callbackData ?? "", default: []].append(request.phoneNumberID)
        }
        return result
    }

    /// Dispatches and lets the sender monitor move what waits, until nothing is due (at most 10 rounds).
    func drain(_ h: Harness) async throws {
        for _ in 0..<10 {
            try await h.engine.senderMonitor.runOnce(now: h.clock.now())
            if try await h.dispatch() == 0 { return }
        }
    }

    @Test(arguments: StoreKind.available) func anExpiredTokenMovesPooledMessagesToTheOtherNumberAndPinnedOnesWait(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSecond(h)
            var pooled: [String] = []
            for index in 0..<6 { pooled.append(try await h.send(to: "+1555000100\(index)")) }
            let pinned = try await h.send(to: "+15550002000", extra: #", "sender_id": "\#(Self.second)""#)
            let assigned = try await pooled.asyncMap { try await h.message($0)["sender_id"] as? String }
            #expect(Set(assigned) == [Harness.sender, Self.second], "pooled messages were not spread over the pool: \(assigned)")
            _ = try await h.call(.POST, "/_sim/tokens/revoke", json: #"{"token": "\#(Self.secondToken)"}"#, auth: nil, base: h.simulatorURL)

            try await drain(h)
            let sent = acceptances(h)
            for id in pooled {
                let message = try await h.message(id)
                #expect(message["status"] as? String == "sent", "\(id) was not sent: \(message.text)")
                #expect(sent[id] == [Harness.sender], "\(id) was accepted \(sent[id] ?? []) times/numbers")
            }
            #expect(try await h.message(pinned)["status"] as? String == "queued", "a pinned message left its sender or failed")
            #expect(sent[pinned] == nil)
            let moved = try #require(
                try await pooled.asyncMap { try await h.message($0) }.first { $0.history.count == 2 }, "no message was moved")
            #expect(moved.history.map { $0["sender_id"] as? String } == [Self.second, Harness.sender])
            #expect(moved.history.first?["error_code"] as? Int == 190)
            #expect(moved["counted_attempts"] as? Int == 0, "the sender's error counted against the message")
        }
    }

    @Test(arguments: StoreKind.available) func withEverySenderDownMessagesWaitAndGoWhenOneComesBack(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            try await addSecond(h)
            try await h.call(.POST, "/v1/senders/\(Harness.sender)/pause")
            try await h.call(.POST, "/v1/senders/\(Self.second)/pause")
            var ids: [String] = []
            for index in 0..<4 { ids.append(try await h.send(to: "+1555000200\(index)")) }
            try await drain(h)
            #expect(h.simulator.received.isEmpty, "a message was sent while every sender was paused")
            #expect(try await h.call(.POST, "/v1/senders/\(Self.second)/resume").status == 200)
            try await drain(h)
            for id in ids {
                #expect(try await h.message(id)["status"] as? String == "sent")
                #expect(acceptances(h)[id] == [Self.second])
            }
        }
    }

    @Test(arguments: StoreKind.available) func aMessageInDoubtStaysOnItsSenderUntilItsInDoubtPeriodEnds(_ kind: StoreKind) async throws {
        try await Harness.run(kind, .quickTimeouts) { h in
            let id = try await h.sendInDoubt()
            try await addSecond(h)
            try await h.call(.POST, "/v1/senders/\(Harness.sender)/pause")
            try await drain(h)
            #expect(try await h.message(id)["sender_id"] as? String == Harness.sender, "an in-doubt message moved before it was settled")
            #expect(h.simulator.received.filter { $0.phoneNumberID == Self.second }.isEmpty)
            h.clock.advance(by: .seconds(61))
            try await drain(h)
            let message = try await h.message(id)
            #expect(message["sender_id"] as? String == Self.second)
            #expect(message["status"] as? String == "sent")
            #expect(message.history.map { $0["sender_id"] as? String } == [Harness.sender, Self.second])
        }
    }

    @Test(arguments: StoreKind.available) func aPoolSendsOnlyWhatItsSendersCan(_ kind: StoreKind) async throws {
        try await Harness.run(kind) { h in
            let web = try await h.call(
                .POST, "/v1/senders",
                json: #"{"kind": "web_session", "id": "web-1", "pool": "mixed", "bridge": {"url": "http://127.0.0.1:9", "webhook_secret": "s-1"}}"#)
            #expect(web.status == 201)
            let template = #""type": "template", "template": {"name": "hi", "language": {"code": "en"}}"#
            let refused = try await h.call(.POST, "/v1/messages", json: #"{"to": "+15550001111", \#(template), "pool": "mixed"}"#)
            #expect(refused.status == 422 && refused.error == "unsupported_by_pool", "\(refused.text)")
            let empty = try await h.call(.POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "x"}, "pool": "nobody"}"#)
            #expect(empty.status == 422 && empty.error == "no_sender_in_pool")
            let both = try await h.call(
                .POST, "/v1/messages", json: #"{"to": "+15550001111", "text": {"body": "x"}, "pool": "mixed", "sender_id": "web-1"}"#)
            #expect(both.status == 400 && both.error == "sender_and_pool")
            try await addSecond(h, pool: "mixed")
            let accepted = try await h.call(.POST, "/v1/messages", json: #"{"to": "+15550001111", \#(template), "pool": "mixed"}"#)
            #expect(accepted.status == 202)
            let id = try #require(accepted["id"] as? String)
            let message = try await h.message(id)
            #expect(message["sender_id"] as? String == Self.second && message["pool"] as? String == "mixed")
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
