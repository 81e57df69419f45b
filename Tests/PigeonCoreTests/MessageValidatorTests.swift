import Foundation
import Testing

@testable import PigeonCore

@Suite struct MessageValidatorTests {
    let validator = MessageValidator()

    func validate(_ json: String) throws(ValidationError) -> MessageRequest {
        try validator.validate(json: Array(json.utf8))
    }

    func code(_ json: String) -> String? {
        do {
            _ = try validate(json)
            return nil
        } catch {
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    @Test func aBlankTextIsWhitespaceAsTheOpenAPIPatternMeansIt() {
        let body = { (text: String) in code(#"{"to": "+15550001111", "type": "text", "text": {"body": "\#(text)"}}"#) }
        for blank in ["", " ", "\\t\\n", "\\u00a0\\u2003", "\\ufeff", "\\u3000 \\u2029"] {
            #expect(body(blank) == "invalid_text", "\(blank) was taken for a text")
        }
        for text in ["\\u0085", " a ", "\\u001c", "\\u200b"] { #expect(body(text) == nil, "\(text) was taken for a blank") }
        #expect(BlankText.isBlank("\u{2000}\u{200A}") && !BlankText.isBlank("\u{200B}"))
    }

    @Test func textMessageIsNormalized() throws {
        let request = try validate(#"{"to": "+15550001111", "type": "text", "text": {"body": "hi"}, "idempotency_key": "k1", "max_attempts": 3}"#)
        #expect(request.recipient == "+15550001111")
        #expect(request.type == "text")
        #expect(request.idempotencyKey == "k1")
        #expect(request.maxAttempts == 3)
        #expect(request.payload == #"{"recipient_type":"individual","text":{"body":"hi"},"to":"+15550001111","type":"text"}"#)
    }

    @Test func metaFieldsPigeonOwnsAreStripped() throws {
        let request = try validate(
            #"{"messaging_product": "whatsapp", "biz_opaque_callback_data": "x", "to": "15550001111", "text": {"body": "hi"}}"#)
        #expect(!request.payload.contains("messaging_product"))
        #expect(!request.payload.contains("biz_opaque_callback_data"))
        #expect(request.type == "text")
    }

    @Test func templatesAndMediaAreAccepted() throws {
        _ = try validate(
            #"{"to": "+15550001111", "type": "template", "template": {"name": "order_update", "language": {"code": "en_US"}, "components": [{"type": "header", "parameters": [{"type": "video", "video": {"id": "1037543291543636"}}]}, {"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Ada"}]}]}}"#
        )
        _ = try validate(#"{"to": "+15550001111", "type": "image", "image": {"link": "https://example.com/a.png"}}"#)
        _ = try validate(#"{"to": "+15550001111", "type": "document", "document": {"id": "123", "filename": "a.pdf"}}"#)
    }

    @Test func theSameRequestHasTheSameFingerprintWhateverTheKeyOrder() throws {
        let a = try validate(#"{"to": "+15550001111", "type": "text", "text": {"body": "hi", "preview_url": false}}"#)
        let b = try validate(#"{"text": {"preview_url": false, "body": "hi"}, "type": "text", "to": "+15550001111"}"#)
        let c = try validate(#"{"to": "+15550001111", "type": "text", "text": {"body": "hi!"}}"#)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
    }

    @Test(arguments: [
        ("not json", "malformed_json"),
        ("[1, 2]", "invalid_body"),
        (#""text""#, "invalid_body"),
        (#"{"type": "text", "text": {"body": "hi"}}"#, "missing_to"),
        (#"{"to": 15550001111, "type": "text", "text": {"body": "hi"}}"#, "invalid_to"),
        (#"{"to": "abc", "type": "text", "text": {"body": "hi"}}"#, "invalid_to"),
        (#"{"to": "+1555", "type": "text", "text": {"body": "hi"}}"#, "invalid_to"),
        (#"{"to": "+1234567890123456", "type": "text", "text": {"body": "hi"}}"#, "invalid_to"),
        (#"{"to": "+15550001111"}"#, "missing_type"),
        (#"{"to": "+15550001111", "type": "fax"}"#, "unsupported_type"),
        (#"{"to": "+15550001111", "type": "text"}"#, "missing_content"),
        (#"{"to": "+15550001111", "type": "text", "text": "hi"}"#, "invalid_content"),
        (#"{"to": "+15550001111", "type": "text", "text": {"body": "  "}}"#, "invalid_text"),
        (#"{"to": "+15550001111", "type": "template", "template": {"language": {"code": "en"}}}"#, "invalid_template"),
        (#"{"to": "+15550001111", "type": "template", "template": {"name": "x"}}"#, "invalid_template"),
        (#"{"to": "+15550001111", "type": "image", "image": {}}"#, "invalid_media"),
        (#"{"to": "+15550001111", "type": "image", "image": {"id": "1", "link": "https://x"}}"#, "invalid_media"),
        (#"{"to": "+15550001111", "type": "image", "image": {"link": "ftp://x/y"}}"#, "invalid_media"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "max_attempts": 0}"#, "invalid_max_attempts"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "max_attempts": 1.5}"#, "invalid_max_attempts"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "max_attempts": "3"}"#, "invalid_max_attempts"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "max_attempts": true}"#, "invalid_max_attempts"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "idempotency_key": ""}"#, "invalid_idempotency_key"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "idempotency_key": "a\u0000b"}"#, "invalid_idempotency_key"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "messaging_product": "sms"}"#, "invalid_messaging_product"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "recipient_type": "everyone"}"#, "invalid_recipient_type"),
        (#"{"to": "+15550001111", "text": {"body": "hi"}, "sender_id": "a b"}"#, "invalid_sender_id"),
    ])
    func badInputIsRejectedWithItsCode(json: String, expected: String) {
        #expect(code(json) == expected)
    }

    @Test func textLongerThanMetaAllowsIsRejected() {
        let body = String(repeating: "a", count: MessageValidator.maxTextLength + 1)
        #expect(code(#"{"to": "+15550001111", "text": {"body": "\#(body)"}}"#) == "text_too_long")
    }
}

@Suite struct CanonicalJSONTests {
    func roundTrip(_ json: String) throws -> String {
        try CanonicalJSON.string(try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]))
    }

    @Test func writesSortedKeysAndEveryKindOfValue() throws {
        #expect(
            try roundTrip(#"{"b": 1, "a": [true, false, null, 1.5, -3, "x/y"], "c": {"z": 0, "y": 12345678901}}"#)
                == #"{"a":[true,false,null,1.5,-3,"x/y"],"b":1,"c":{"y":12345678901,"z":0}}"#)
    }

    @Test func escapesWhatJSONRequiresAndKeepsUnicode() throws {
        let text = try roundTrip(#"{"s": "quote \" backslash \\ tab \t newline \n bell \u0007 café 🎉"}"#)
        #expect(text == #"{"s":"quote \" backslash \\ tab \t newline \n bell \u0007 café 🎉"}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed?["s"] == "quote \" backslash \\ tab \t newline \n bell \u{07} café 🎉")
    }

    @Test func booleansAreNotNumbers() throws {
        #expect(try roundTrip("[true, 1, 0, false]") == "[true,1,0,false]")
    }
}
