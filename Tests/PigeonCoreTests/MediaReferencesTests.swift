import Foundation
import Testing

@testable import PigeonCore

/// Media library references in stored (canonical JSON) payloads, read and resolved as text.
@Suite struct MediaReferencesTests {
    func canonical(_ json: String) throws -> String {
        try CanonicalJSON.string(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    @Test func everyReferenceIsFoundAndResolvedAndNothingElseChanges() throws {
        let payload = try canonical(
            #"""
            {"to": "+15550001111", "type": "template", "template": {"name": "onboarding", "language": {"code": "en"},
             "components": [{"type": "header", "parameters": [{"type": "video", "video": {"media_key": "video-hi"}}]},
                            {"type": "body", "parameters": [{"type": "text", "text": "\"media_key\":\"not-a-key\""}]},
                            {"type": "button", "parameters": [{"type": "image", "image": {"media_key": "logo.v2", "caption": "x"}}]},
                            {"type": "header", "parameters": [{"type": "video", "video": {"media_key": "video-hi"}}]}]}}
            """#)
        #expect(MediaReferences.mayContain(payload))
        #expect(MediaReferences.keys(inPayload: payload) == ["video-hi", "logo.v2"], "text inside a string was read as a reference")
        let resolved = try #require(MediaReferences.resolve(payload: payload, ids: ["video-hi": "111", "logo.v2": "222"]))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(resolved.utf8)) as? [String: Any])
        let components = try #require((object["template"] as? [String: Any])?["components"] as? [[String: Any]])
        func media(_ index: Int, _ type: String) -> [String: Any]? {
            ((components[index]["parameters"] as? [[String: Any]])?.first)?[type] as? [String: Any]
        }
        #expect(media(0, "video")?["id"] as? String == "111")
        #expect(media(0, "video")?["media_key"] == nil)
        #expect(media(2, "image")?["id"] as? String == "222")
        #expect(media(2, "image")?["caption"] as? String == "x")
        #expect(media(3, "video")?["id"] as? String == "111")
        #expect(((components[1]["parameters"] as? [[String: Any]])?.first)?["text"] as? String == #""media_key":"not-a-key""#)
        #expect(MediaReferences.resolve(payload: payload, ids: ["video-hi": "111"]) == nil, "a key without an id was left in")
        #expect(MediaReferences.reference("logo.v2") == #""media_key":"logo.v2""#)
    }

    @Test func payloadsWithoutReferencesAreLeftAlone() throws {
        let payload = try canonical(#"{"to": "+15550001111", "type": "image", "image": {"link": "https://example.com/a.png"}}"#)
        #expect(!MediaReferences.mayContain(payload))
        #expect(MediaReferences.keys(inPayload: payload).isEmpty)
        #expect(MediaReferences.resolve(payload: payload, ids: [:]) == payload)
    }
}
