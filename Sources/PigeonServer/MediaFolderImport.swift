import Foundation
import Logging
import PigeonCore

/// Moves media bytes an earlier Pigeon kept in a folder into a store that keeps them itself: before the
/// bytes moved into PostgreSQL they were files in `./pigeon-media`, and assets registered then must still
/// upload after an upgrade. Files already in the store are only marked kept again; the folder is left for
/// the operator to delete.
public enum MediaFolderImport {
    /// The folder earlier versions used with PostgreSQL.
    public static let legacyFolder = "./pigeon-media"

    /// Keeps every SHA-256-named file of `folder` in `bytes`; returns how many. A file that cannot be read
    /// or kept is logged and left.
    @discardableResult
    public static func run(from folder: String = legacyFolder, into bytes: any MediaBytes, now: Date, logger: Logger) async -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var imported = 0
        for name in names where name.count == 64 && name.allSatisfy(\.isHexDigit) {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            do {
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                try await bytes.keep(data, sha256: name, now: now)
                imported += 1
            } catch {
                logger.warning("could not move media bytes into the database", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
        if imported > 0 {
            logger.notice(
                "media bytes moved into the database; the folder is no longer read and can be deleted",
                metadata: ["folder": "\(folder)", "files": "\(imported)"])
        }
        return imported
    }
}
