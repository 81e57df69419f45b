import Foundation
import Testing

@testable import PigeonCore

@Suite struct ErrorClassifierTests {
    let classifier = ErrorClassifier()

    /// The codes the delivery-core issue names for each class, listed here independently of the table.
    static let expected: [ErrorClass: [Int]] = [
        .transient: [1, 2, 131000, 131016, 133004],
        .throttled: [4, 80007, 130429],
        .pairLimited: [131056],
        .media: [131053],
        .permanent: [100, 131008, 131009, 131021, 131026, 131047, 131051, 132000, 132001, 132005, 132007, 132012, 130472, 131050],
        .senderLevel: [0, 3, 10, 190, 200, 250, 299, 368, 131005, 131031, 131042, 131045, 133010],
    ]

    func classify(_ code: Int, details: String? = nil) -> ErrorClass? {
        classifier.classify(.graphError(GraphError(code: code, title: "x", details: details, httpStatus: 400)))?.errorClass
    }

    @Test(arguments: expected.flatMap { entry in entry.value.map { (entry.key, $0) } })
    func namedCodesFallInTheirClass(expectedClass: ErrorClass, code: Int) {
        #expect(classify(code) == expectedClass, "code \(code)")
    }

    @Test func everyCodeInTheTableClassifiesAsTheTableSays() {
        for code in ErrorTable.meta.codes {
            let rule = ErrorTable.meta.rule(code: code, details: nil)!
            #expect(classify(code) == rule.errorClass, "code \(code)")
            #expect(!rule.title.isEmpty)
        }
    }

    @Test func anInvalidParameterNamingTheMediaIsAMediaError() {
        #expect(classify(100, details: "Invalid Media ID: 1234567890") == .media)
        #expect(classify(131009, details: "media id 1234567890 is not valid") == .media)
        #expect(classify(100, details: "Param text['body'] must be at most 4096 characters") == .permanent)
        #expect(classify(131009, details: "to is not a valid phone number") == .permanent)
    }

    @Test func unknownCodesAreTransient() {
        #expect(classify(999_999) == .transient)
        #expect(classify(42) == .transient)
    }

    @Test func httpStatusIsNeverWhatDecides() {
        let sameCodeDifferentStatus = [400, 429, 500, 503].map {
            classifier.classify(.graphError(GraphError(code: 131026, title: "x", httpStatus: $0)))?.errorClass
        }
        #expect(Set(sameCodeDifferentStatus.compactMap { $0 }) == [.permanent])
    }

    @Test func failuresWithoutAGraphBody() {
        #expect(classifier.classify(.httpError(status: 502, body: "<html>"))?.errorClass == .transient)
        #expect(classifier.classify(.notDelivered(reason: "connection refused"))?.errorClass == .transient)
        #expect(classifier.classify(.inDoubt(reason: "read timeout"))?.errorClass == .inDoubt)
        #expect(classifier.classify(.accepted(wamid: "w")) == nil)
    }

    @Test func theClassificationKeepsMetaTitleAndDetails() {
        let result = classifier.classify(
            .graphError(GraphError(code: 132001, title: "Template name does not exist", details: "hello_world (en_GB)", httpStatus: 404)))
        #expect(result?.code == 132001)
        #expect(result?.title == "Template name does not exist")
        #expect(result?.details == "hello_world (en_GB)")
        #expect(result?.httpStatus == 404)
    }

    @Test func overridesFromJSONReplaceRowsAndCanKeyOnDetails() throws {
        let json = """
            {"131000": {"class": "permanent", "title": "Something went wrong"},
             "100": [{"class": "media", "title": "Invalid parameter", "details_contains": "media id"},
                     {"class": "permanent", "title": "Invalid parameter"}]}
            """
        let table = ErrorTable.meta.overriding(try ErrorTable.overrides(fromJSON: Data(json.utf8)))
        let custom = ErrorClassifier(table: table)
        func classOf(_ code: Int, _ details: String?) -> ErrorClass? {
            custom.classify(.graphError(GraphError(code: code, title: "", details: details)))?.errorClass
        }
        #expect(classOf(131000, nil) == .permanent)
        #expect(classOf(100, "Invalid Media ID 123") == .media)
        #expect(classOf(100, "Param text missing") == .permanent)
        #expect(classOf(130429, nil) == .throttled)
    }

    @Test func badOverrideFilesSayWhatIsWrong() {
        #expect(throws: ErrorTable.OverrideError.self) { try ErrorTable.overrides(fromJSON: Data("[1]".utf8)) }
        #expect(throws: ErrorTable.OverrideError.self) {
            try ErrorTable.overrides(fromJSON: Data(#"{"x": {"class": "permanent", "title": "t"}}"#.utf8))
        }
        #expect(throws: ErrorTable.OverrideError.self) {
            try ErrorTable.overrides(fromJSON: Data(#"{"1": {"class": "sometimes", "title": "t"}}"#.utf8))
        }
    }
}

/// WAHA's answers classified by `ErrorTable.waha`, and WhatsApp Web's restrictions and quotas.
@Suite struct BridgeClassificationTests {
    let classifier = ErrorClassifier()

    @Test func wahasAnswersAreClassifiedFromTheTable() {
        let cases: [(Int, String, PigeonCause, ErrorClass)] = [
            (422, #"{"error":"Session status is not as expected. Try again later or restart the session"}"#, .bridgeSessionNotReady, .senderLevel),
            (401, #"{"message":"Unauthorized","statusCode":401}"#, .bridgeUnauthorized, .senderLevel),
            (404, #"{"message":"Session not found"}"#, .bridgeSessionNotFound, .senderLevel),
            (500, #"{"statusCode":500,"exception":{"message":"2 UNKNOWN: server returned error 463"}}"#, .bridgeRestricted, .restricted),
            (400, #"{"message":"chatId must be a string"}"#, .bridgeRejected, .permanent),
            (502, "Bad Gateway", .bridgeServerError, .transient),
        ]
        for (status, body, cause, errorClass) in cases {
            let classification = classifier.classify(.bridgeError(status: status, body: body))
            #expect(classification?.cause == cause && classification?.errorClass == errorClass, "\(status) \(body)")
            #expect(classification?.httpStatus == status)
        }
    }

    @Test func anErrorAckOf463IsARestrictionAndMetaCodesAreUntouched() {
        let table = ErrorTable.meta.adding(ErrorTable.webAckCodes)
        #expect(table.rule(code: 463, details: nil)?.errorClass == .restricted)
        #expect(table.rule(code: 131026, details: nil) == ErrorTable.meta.rule(code: 131026, details: nil))
        let overridden = ErrorTable.meta.overriding([463: [ErrorRule(.permanent, "mine")]]).adding(ErrorTable.webAckCodes)
        #expect(overridden.rule(code: 463, details: nil)?.errorClass == .permanent, "an operator's override lost to the built-in rule")
    }

    @Test func aNewContactWaitsWhileRestrictedOrOutOfQuotaAndAnExistingChatDoesNot() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var sender = SenderRecord(
            id: "web", kind: .webSession, pool: "default", limits: .defaults(for: .webSession), settings: SenderSettings(), sealedSecrets: [],
            health: SenderHealth(status: .connected), createdAt: now, updatedAt: now)
        #expect(!ContactReach.limits(sender, now: now))
        sender.health.status = .restricted
        sender.health.restrictedUntil = now.addingTimeInterval(600)
        #expect(ContactReach.hold(sender, knownContact: true, newContactsSent: 0, now: now) == nil)
        #expect(ContactReach.hold(sender, knownContact: false, newContactsSent: 0, now: now)?.until == now.addingTimeInterval(600))
        sender.health.status = .connected
        sender.health.newContactQuota = 2
        sender.health.quotaCycleEnd = now.addingTimeInterval(3600)
        #expect(ContactReach.hold(sender, knownContact: false, newContactsSent: 1, now: now) == nil)
        let held = ContactReach.hold(sender, knownContact: false, newContactsSent: 2, now: now)
        #expect(held?.until == now.addingTimeInterval(3600) && held?.cause == .newContactQuotaUsed)
        #expect(NewContactCapping(status: "CAPPED", totalQuota: 50, usedQuota: 1, cycleEnd: nil).remaining == 0)
        #expect(NewContactCapping(status: "NONE", totalQuota: -1, usedQuota: 9, cycleEnd: nil).remaining == nil)
        #expect(NewContactCapping(status: "FIRST_WARNING", totalQuota: 50, usedQuota: 45, cycleEnd: nil).remaining == 5)
        #expect(ContactReach.contactKey("+1 (555) 000-1111") == "15550001111" && ContactReach.contactKey("15550001111@c.us") == "15550001111")
    }

    @Test func metaMessagesBecomeWAHACallsAndMediaByIDDoesNot() throws {
        let text = try #require(WebSessionMessage.make(payload: #"{"to": "+15550001111", "type": "text", "text": {"body": "hi"}}"#, session: "s"))
        #expect(text.path == "/api/sendText" && text.chatID == "15550001111@c.us")
        let body = try #require(try JSONSerialization.jsonObject(with: text.body) as? [String: Any])
        #expect(body["text"] as? String == "hi" && body["session"] as? String == "s")
        let document = try #require(
            WebSessionMessage.make(
                payload: #"{"to": "15550001111", "type": "document", "document": {"link": "https://x.test/a/report.pdf", "caption": "Q3"}}"#,
                session: "s"))
        let file = try #require((try JSONSerialization.jsonObject(with: document.body) as? [String: Any])?["file"] as? [String: Any])
        #expect(document.path == "/api/sendFile" && file["filename"] as? String == "report.pdf" && file["mimetype"] as? String == "application/pdf")
        #expect(WebSessionMessage.make(payload: #"{"to": "1555", "type": "image", "image": {"id": "123"}}"#, session: "s") == nil)
        #expect(WebSessionMessage.make(payload: #"{"to": "1555", "type": "template", "template": {"name": "x"}}"#, session: "s") == nil)
        #expect(!MessageNeeds(type: "image", payload: #"{"to": "1555", "type": "image", "image": {"media_key": "k"}}"#).webSendable)
    }
}
