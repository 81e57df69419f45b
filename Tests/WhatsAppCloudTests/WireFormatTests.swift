import Foundation
import NIOCore
import PigeonCore
import Testing

@testable import WhatsAppCloud

@Suite struct WireFormatTests {
    @Test func theRequestBodyIsTheStoredPayloadWithPigeonsFieldsFirst() throws {
        let id = MessageID.generate()
        let body = CloudAPIClient.requestBody(
            for: OutboundMessage(id: id, senderID: "1", payload: #"{"text":{"body":"hi \"there\""},"to":"+15550001111","type":"text"}"#))
        let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as! [String: Any]
        #expect(json["messaging_product"] as? String == "whatsapp")
        #expect(json["biz_opaque_callback_data"] as? String == id.rawValue)
        #expect((json["text"] as? [String: String])?["body"] == #"hi "there""#)
        #expect(json["to"] as? String == "+15550001111")
        let empty = CloudAPIClient.requestBody(for: OutboundMessage(id: id, senderID: "1", payload: "{}"))
        #expect(try JSONSerialization.jsonObject(with: Data(buffer: empty)) is [String: Any])
    }

    @Test func theWamidIsReadFromMetasSuccessShapeOrByAFullParse() {
        let meta = #"{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.HBgL123=="}]}"#
        #expect(GraphResponseParser.sendOutcome(status: 200, body: ByteBuffer(string: meta)) == .accepted(wamid: "wamid.HBgL123=="))
        let spaced = #"{"messages": [ {"id": "wamid.B", "message_status": "accepted"} ]}"#
        #expect(GraphResponseParser.fastWamid(from: ByteBuffer(string: spaced)) == nil)
        #expect(GraphResponseParser.sendOutcome(status: 200, body: ByteBuffer(string: spaced)) == .accepted(wamid: "wamid.B"))
        let escaped = #"{"messages":[{"id":"wamid.\u0041"}]}"#
        #expect(GraphResponseParser.sendOutcome(status: 200, body: ByteBuffer(string: escaped)) == .accepted(wamid: "wamid.A"))
        let error = #"{"error":{"message":"(#131026) Message undeliverable","code":131026}}"#
        #expect(
            GraphResponseParser.sendOutcome(status: 400, body: ByteBuffer(string: error))
                == .graphError(GraphError(code: 131026, title: "Message undeliverable", httpStatus: 400)))
    }
}
