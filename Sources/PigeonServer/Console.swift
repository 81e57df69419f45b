import Foundation

/// Text for the person at the console (standard output, flushed at once), as opposed to the log.
public enum Console {
    @Sendable public static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
