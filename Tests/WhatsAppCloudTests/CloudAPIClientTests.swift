import Foundation
import MetaSimulator
import PigeonCore
import PigeonTestSupport
import Testing

@testable import WhatsAppCloud

@Suite struct CloudAPIClientTests {
    /// Runs `body` with a client pointed at a live simulator.
    func withSimulator(timeout: Duration = .seconds(10), _ body: (CloudAPIClient, MetaSimulator) async throws -> Void) async throws {
        let simulator = MetaSimulator()
        let logger = RunningServer.quietLogger
        let server = await RunningServer(logger: logger) { simulator.application(port: 0, logger: logger, onRunning: $0) }
        let client = try CloudAPIClient(configuration: .init(baseURL: server.url, accessToken: "token", requestTimeout: timeout))
        var failure: (any Error)?
        do { try await body(client, simulator) } catch { failure = error }
        try await client.shutdown()
        await server.stop()
        if let failure { throw failure }
    }

    func outbound(_ message: CloudMessage) throws -> OutboundMessage {
        OutboundMessage(id: .generate(), senderID: "123", payload: String(decoding: try message.json(), as: UTF8.self))
    }

    @Test func typedMessagesEncodeToMetasShapes() throws {
        let template = CloudMessage(
            to: "+15550001111",
            content: .template(
                Template(
                    name: "order_update", languageCode: "en_US",
                    components: [
                        .headerMedia(.video, .id("1037543291543636")),
                        .body([Template.Parameter("Ada", name: "first_name"), Template.Parameter("SB-1001", name: "order")]),
                        .button(subType: "url", index: 0, [Template.Parameter("SB-1001")]),
                    ])))
        let json = try JSONSerialization.jsonObject(with: template.json()) as! [String: Any]
        #expect(json["type"] as? String == "template")
        let body = json["template"] as! [String: Any]
        #expect((body["language"] as? [String: String])?["code"] == "en_US")
        let components = body["components"] as! [[String: Any]]
        let header = (components[0]["parameters"] as! [[String: Any]])[0]
        #expect(header["type"] as? String == "video")
        #expect((header["video"] as? [String: String])?["id"] == "1037543291543636")
        #expect((components[1]["parameters"] as! [[String: Any]])[0]["parameter_name"] as? String == "first_name")
        #expect(components[2]["sub_type"] as? String == "url")
        #expect(components[2]["index"] as? String == "0")

        let link =
            try JSONSerialization.jsonObject(
                with: CloudMessage(to: "+15550001111", content: .media(.document, .link("https://example.com/a.pdf"), filename: "a.pdf")).json())
            as! [String: Any]
        #expect((link["document"] as? [String: String])?["link"] == "https://example.com/a.pdf")
        #expect((link["document"] as? [String: String])?["filename"] == "a.pdf")
    }

    @Test func typedMessagesPassPigeonsValidation() throws {
        let messages = [
            CloudMessage(to: "+15550001111", content: .text(body: "hi")),
            CloudMessage(to: "+15550001111", content: .media(.image, .id("123"), caption: "receipt")),
            CloudMessage(
                to: "+15550001111",
                content: .template(
                    Template(name: "hello_world", languageCode: "en_US", components: [.headerMedia(.image, .link("https://example.com/a.png"))]))),
        ]
        for message in messages {
            _ = try MessageValidator().validate(json: Array(try message.json()))
        }
    }

    @Test func sendsAreAcceptedWithAWamidAndCarryPigeonsID() async throws {
        try await withSimulator { client, simulator in
            let message = try outbound(CloudMessage(to: "+15550001111", content: .text(body: "hi")))
            guard case .accepted(let wamid) = await client.send(message) else {
                Issue.record("the send was not accepted")
                return
            }
            #expect(wamid.hasPrefix("wamid."))
            let received = try #require(simulator.received.first)
            #expect(received.callbackData == message.id.rawValue)
            #expect(received.phoneNumberID == "123")
            let body = try JSONSerialization.jsonObject(with: Data(received.body.utf8)) as! [String: Any]
            #expect(body["messaging_product"] as? String == "whatsapp")
            #expect(body["to"] as? String == "+15550001111")
        }
    }

    @Test func graphErrorsAreParsedIntoTypedFields() async throws {
        try await withSimulator { client, simulator in
            simulator.addRule(SimulatorRule(error: .init(code: 131056, httpStatus: 400, title: "Pair rate limit hit", details: "slow down")))
            let outcome = await client.send(try outbound(CloudMessage(to: "+15550001111", content: .text(body: "hi"))))
            guard case .graphError(let error) = outcome else {
                Issue.record("expected a Graph error, got \(outcome)")
                return
            }
            #expect(error.code == 131056)
            #expect(error.title == "Pair rate limit hit")
            #expect(error.details == "slow down")
            #expect(error.httpStatus == 400)
            #expect(error.fbtraceID?.isEmpty == false)
        }
    }

    @Test func parserReadsEveryGraphErrorField() {
        let body =
            #"{"error": {"message": "(#131000) Something went wrong", "type": "OAuthException", "code": 131000, "error_data": {"messaging_product": "whatsapp", "details": "try later"}, "is_transient": true, "fbtrace_id": "Ab1"}}"#
        let error = GraphResponseParser.graphError(from: Data(body.utf8), httpStatus: 500)
        #expect(
            error
                == GraphError(code: 131000, title: "Something went wrong", details: "try later", fbtraceID: "Ab1", isTransient: true, httpStatus: 500)
        )
        #expect(GraphResponseParser.sendOutcome(status: 502, body: Data("<html>".utf8)) == .httpError(status: 502, body: "<html>"))
        #expect(
            GraphResponseParser.sendOutcome(status: 200, body: Data("{}".utf8)) == .inDoubt(reason: "HTTP 200 without a message id in the response"))
    }

    @Test func aRefusedConnectionIsNotDeliveredAndATimeoutIsInDoubt() async throws {
        let closed = try CloudAPIClient(configuration: .init(baseURL: "http://127.0.0.1:9", accessToken: "t", requestTimeout: .seconds(5)))
        let refused = await closed.send(try outbound(CloudMessage(to: "+15550001111", content: .text(body: "hi"))))
        try await closed.shutdown()
        guard case .notDelivered = refused else {
            Issue.record("a refused connection should be not-delivered, got \(refused)")
            return
        }
        try await withSimulator(timeout: .seconds(1)) { client, simulator in
            // A connection made first, so the timeout falls on the answer, not on connecting (slow on a loaded machine).
            _ = await client.send(try outbound(CloudMessage(to: "+15550001111", content: .text(body: "warm up"))))
            simulator.addRule(SimulatorRule(delayMs: 2500))
            let outcome = await client.send(try outbound(CloudMessage(to: "+15550001111", content: .text(body: "hi"))))
            guard case .inDoubt = outcome else {
                Issue.record("a timeout should be in doubt, got \(outcome)")
                return
            }
        }
    }

    @Test func mediaUploadReturnsMetasMediaID() async throws {
        try await withSimulator { client, _ in
            let id = try await client.uploadMedia(Data([0xFF, 0xD8, 0xFF]), mimeType: "image/jpeg", filename: "a.jpg", phoneNumberID: "123")
            #expect(!id.isEmpty)
            #expect(id.unicodeScalars.allSatisfy { CharacterSet.decimalDigits.contains($0) })
        }
    }
}
