import Logging

/// Installs the process-wide log handler for the configured format and level (logs go to standard error).
public enum LogSetup {
    public static func bootstrap(format: ServerConfiguration.LogFormat, level: String) {
        let level = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch format {
                case .text: StreamLogHandler.standardError(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = level
            return handler
        }
    }
}
