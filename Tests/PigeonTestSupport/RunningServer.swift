import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird application running on a loopback port until `stop()`.
public final class RunningServer: Sendable {
    /// `http://127.0.0.1:<port>`.
    public let url: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts the application `makeApp` builds (it must report its port through the callback) and waits until it listens.
    public init<App: ApplicationProtocol>(
        logger: Logger, _ makeApp: (@escaping @Sendable (Int) async -> Void) -> App
    ) async {
        let (ports, port) = AsyncStream<Int>.makeStream()
        let app = makeApp { port.yield($0) }
        let group = ServiceGroup(services: [app], logger: logger)
        self.group = group
        task = Task { try await group.run() }
        url = "http://127.0.0.1:\(await ports.first { _ in true } ?? 0)"
    }

    /// Shuts the server down gracefully and waits for it.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// A logger that only reports critical problems, for quiet tests.
    public static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}
