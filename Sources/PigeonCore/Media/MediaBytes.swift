import Foundation

/// Where the media library keeps the bytes of its assets, named by their SHA-256 so identical files are
/// kept once and a refresh never depends on whoever registered the asset. SQLite keeps them in files
/// beside the database (`MediaFiles`); PostgreSQL keeps them in the database, so every instance that
/// shares it can upload any asset again.
public protocol MediaBytes: Sendable {
    /// Keeps `data`, whose hex SHA-256 is `sha256`, durably (done when this returns) and marks it kept at
    /// `now`. Keeping bytes that are kept already only marks them again.
    func keep(_ data: Data, sha256: String, now: Date) async throws

    /// The bytes named `sha256`; throws when they are not kept.
    func read(_ sha256: String) async throws -> Data

    /// Removes the kept bytes no asset names any more (`inUse`) and last kept before `before` (so the
    /// bytes of a registration still under way stay); returns how many.
    func sweep(keeping inUse: Set<String>, keptBefore before: Date) async throws -> Int
}

/// Kept media bytes that were asked for by name but are not there.
public struct MediaBytesMissing: Error, CustomStringConvertible {
    /// The name asked for.
    public let sha256: String

    public init(sha256: String) { self.sha256 = sha256 }

    public var description: String { "no media bytes are kept under \(sha256)" }
}
