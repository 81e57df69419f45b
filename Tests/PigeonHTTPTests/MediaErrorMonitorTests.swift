import Foundation
import Logging
import PigeonCore
import PigeonEngine
import Synchronization
import Testing

/// The hourly media-error warning: above 10 % of sends (with enough sends to judge), logged once per
/// ten minutes; older minutes fall out of the hour.
@Suite struct MediaErrorMonitorTests {
    /// Keeps the warnings logged through it.
    final class Captured: Sendable {
        let messages = Mutex<[String]>([])
        var warnings: [String] { messages.withLock { $0 } }

        var logger: Logger {
            Logger(label: "test") { _ in Handler(captured: self) }
        }

        struct Handler: LogHandler {
            let captured: Captured
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                if event.level == .warning { captured.messages.withLock { $0.append(event.message.description) } }
            }
        }
    }

    @Test func aMediaErrorRateAboveTenPercentOverAnHourIsLoggedOnce() {
        let clock = ManualClock()
        let captured = Captured()
        let monitor = MediaErrorMonitor(clock: clock, logger: captured.logger)
        for _ in 0..<90 { monitor.recordSend(mediaError: false, now: clock.now()) }
        for _ in 0..<10 { monitor.recordSend(mediaError: true, now: clock.now()) }
        #expect(captured.warnings.isEmpty, "10 % is not above 10 %")
        monitor.recordReportedMediaError(now: clock.now())
        #expect(captured.warnings.count == 1)
        #expect(monitor.lastHour() == (sends: 100, mediaErrors: 11))
        clock.advance(by: .seconds(60))
        monitor.recordReportedMediaError(now: clock.now())
        #expect(captured.warnings.count == 1, "the warning repeated within ten minutes")
        clock.advance(by: .seconds(3600))
        #expect(monitor.lastHour() == (sends: 0, mediaErrors: 0))
        for _ in 0..<5 { monitor.recordSend(mediaError: true, now: clock.now()) }
        #expect(captured.warnings.count == 1, "five sends were judged")
    }
}
