import Crypto
import Foundation

/// The bytes of the media library, kept in files beside the database and named by their SHA-256, so a
/// refresh never depends on whoever registered the asset and identical files are kept once.
public struct MediaFiles: Sendable {
    /// The folder, such as `pigeon.sqlite.media/`.
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The folder beside the database file at `databasePath`.
    public init(besideDatabase databasePath: String) {
        self.init(directory: URL(fileURLWithPath: databasePath + ".media", isDirectory: true))
    }

    /// Hex SHA-256 of `data`.
    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Keeps `data` durably (written to a temporary file, fsync'd, renamed); returns its SHA-256.
    public func keep(_ data: Data) throws -> String {
        let hash = Self.sha256(data)
        let target = url(hash)
        if FileManager.default.fileExists(atPath: target.path) { return hash }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(hash).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        let handle = try FileHandle(forWritingTo: temporary)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        if rename(temporary.path, target.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
        return hash
    }

    /// The bytes named `sha256`.
    public func read(_ sha256: String) throws -> Data {
        try Data(contentsOf: url(sha256))
    }

    /// Removes the bytes named `sha256` (nothing if they are gone already).
    public func remove(_ sha256: String) {
        try? FileManager.default.removeItem(at: url(sha256))
    }

    /// Removes kept files no asset names any more (`inUse`), once they are older than `before` (so bytes
    /// kept for a registration still under way stay); returns how many.
    public func sweep(keeping inUse: Set<String>, olderThan before: Date) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed = 0
        for name in names where name.count == 64 && !inUse.contains(name) {
            let modified = (try? FileManager.default.attributesOfItem(atPath: url(name).path)[.modificationDate]) as? Date
            guard let modified, modified < before else { continue }
            remove(name)
            removed += 1
        }
        return removed
    }

    private func url(_ sha256: String) -> URL { directory.appendingPathComponent(sha256) }
}
