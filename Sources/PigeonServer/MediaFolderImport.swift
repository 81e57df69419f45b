import Foundation
import Logging
import PigeonCore
import PigeonEngine

/// Moves media bytes an earlier Pigeon kept in a folder into a store that keeps them itself: before the
/// bytes moved into PostgreSQL they were files in `./pigeon-media`, and assets registered then must still
/// upload after an upgrade. It runs at each start-up until the operator deletes the folder; files already
/// in the store are only marked kept again, and a file whose content does not match its name is left.
public enum MediaFolderImport {
    /// The folder earlier versions used with PostgreSQL.
    public static let legacyFolder = "./pigeon-media"

    /// Keeps every SHA-256-named file of `folder` whose content has that SHA-256 in `bytes`; returns how
    /// many. A file that cannot be read, does not match its name, or cannot be kept is logged and left.
    @discardableResult
    public static func run(from folder: String = legacyFolder, into bytes: any MediaBytes, now: Date, logger: Logger) async -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var imported = 0
        for name in names where name.count == 64 && name.allSatisfy(\.isHexDigit) {
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            do {
                guard let data = FileManager.default.contents(atPath: path), MediaService.sha256(data) == name.lowercased() else {
                    logger.warning("media file left in the folder: unreadable, or its content does not match its name", metadata: ["file": "\(path)"])
                    continue
                }
                try await bytes.keep(data, sha256: name.lowercased(), now: now)
                imported += 1
            } catch {
                logger.warning("could not move media bytes into the database", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
        if imported > 0 {
            logger.notice(
                "media bytes copied into the database; delete the folder once every instance runs this version",
                metadata: ["folder": "\(folder)", "files": "\(imported)"])
        }
        return imported
    }
}
