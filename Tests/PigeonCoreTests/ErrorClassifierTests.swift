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
