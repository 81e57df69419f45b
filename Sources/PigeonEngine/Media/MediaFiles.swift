import Foundation
import PigeonCore

/// The bytes of the media library kept in files (beside an SQLite database, or in `PIGEON_MEDIA_DIR`), one
/// per SHA-256; a file's modification time is when its bytes were last kept.
public struct MediaFiles: MediaBytes {
    /// The folder, such as `pigeon.sqlite.media/`.
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The folder beside the database file at `databasePath`.
    public init(besideDatabase databasePath: String) {
        self.init(directory: URL(fileURLWithPath: databasePath + ".media", isDirectory: true))
    }

    /// Written to a temporary file, fsync'd, then renamed to its SHA-256.
    public func keep(_ data: Data, sha256 hash: String, now: Date) throws {
        let target = url(hash)
        if FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.setAttributes([.modificationDate: now], ofItemAtPath: target.path)
            return
        }
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
        try FileManager.default.setAttributes([.modificationDate: now], ofItemAtPath: temporary.path)
        if rename(temporary.path, target.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
    }

    public func read(_ sha256: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url(sha256).path) else { throw MediaBytesMissing(sha256: sha256) }
        return data
    }

    public func sweep(keeping inUse: Set<String>, keptBefore before: Date) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed = 0
        for name in names where name.count == 64 && !inUse.contains(name) {
            let modified = (try? FileManager.default.attributesOfItem(atPath: url(name).path)[.modificationDate]) as? Date
            guard let modified, modified < before else { continue }
            guard (try? FileManager.default.removeItem(at: url(name))) != nil else { continue }
            removed += 1
        }
        return removed
    }

    private func url(_ sha256: String) -> URL { directory.appendingPathComponent(sha256) }
}
