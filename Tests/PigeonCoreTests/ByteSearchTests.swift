import Testing

@testable import PigeonCore

@Suite struct ByteSearchTests {
    func find(_ needle: String, in haystack: String, from start: Int = 0) -> Int? {
        Array(haystack.utf8).withUnsafeBytes { ByteSearch.firstIndex(of: Array(needle.utf8), in: $0, from: start) }
    }

    @Test func findsTheFirstWholeMatchFromTheStart() {
        #expect(find("--b", in: "a--a--b") == 4, "a partial match at the first candidate hid the real one")
        #expect(find("end", in: "the end") == 4)
        #expect(find("the", in: "the end") == 0)
        #expect(find("x", in: "abc") == nil)
        #expect(find("abcd", in: "abc") == nil)
        #expect(find("a", in: "") == nil)
        #expect(find("a", in: "aXa", from: 1) == 2)
        #expect(find("a", in: "aXa", from: 3) == nil)
        #expect(find("", in: "abc") == nil)
    }
}
