import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// The media bytes contract, run against each store's way of keeping them: files beside an SQLite
/// database, the `media_bytes` table on PostgreSQL. A second opening stands for another instance.
@Suite struct MediaBytesConformanceTests {
    @Test(arguments: StoreKind.available) func keptBytesAreReadByAnotherInstanceExactlyAndSweptOnlyWhenUnusedAndOld(
        _ kind: StoreKind
    ) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let one = database.mediaBytes(try await database.open())
            let other = database.mediaBytes(try await database.open())
            let video = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let logo = Data([0, 255, 13, 10, 0])
            try await one.keep(video, sha256: "a".repeated64, now: t0)
            try await one.keep(logo, sha256: "b".repeated64, now: t0)
            #expect(try await other.read("a".repeated64) == video)
            #expect(try await other.read("b".repeated64) == logo)
            await #expect(throws: MediaBytesMissing.self) { try await other.read("c".repeated64) }

            // Keeping the same bytes again later marks them kept again (a registration under way).
            try await other.keep(logo, sha256: "b".repeated64, now: t0.adding(.seconds(600)))
            #expect(try await one.sweep(keeping: [], keptBefore: t0) == 0)
            #expect(try await one.sweep(keeping: ["a".repeated64], keptBefore: t0.adding(.seconds(300))) == 0)
            #expect(try await other.sweep(keeping: ["a".repeated64], keptBefore: t0.adding(.seconds(601))) == 1)
            await #expect(throws: MediaBytesMissing.self) { try await one.read("b".repeated64) }
            #expect(try await one.read("a".repeated64) == video)
            #expect(try await one.sweep(keeping: [], keptBefore: t0.adding(.seconds(601))) == 1)
            await #expect(throws: MediaBytesMissing.self) { try await other.read("a".repeated64) }
        }
    }
}

extension String {
    /// This one-character string 64 times: a name shaped like a hex SHA-256.
    fileprivate var repeated64: String { String(repeating: self, count: 64) }
}
