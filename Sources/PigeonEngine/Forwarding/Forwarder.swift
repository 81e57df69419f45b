import Foundation
import Logging
import PigeonCore
import ServiceLifecycle

/// Delivers forwards to one destination (statuses and inbound messages, in Meta's format, to the
/// application; or alerts to the alert webhook): claimed under a lease, at most one open forward per key at
/// a time so each message's (or alert's) events arrive in order, retried on `PIGEON_RETRY_SCHEDULE` like
/// messages, and dead-lettered when the budget runs out.
public struct Forwarder: Service {
    /// Settings with named defaults.
    public struct Configuration: Sendable {
        /// This worker's lease owner name.
        public var workerID: String
        /// Retry timing (the same schedule as messages).
        public var retry: RetryPolicy
        /// Most forwards posted at once (default 32).
        public var batchSize: Int
        /// How long a claimed forward may stay unfinished before another worker takes it (default 30 s).
        public var leaseTimeout: Duration
        /// Longest idle wait before looking again (default 1 s).
        public var idlePoll: Duration
        /// Which forwards it delivers (default the application's).
        public var destination: ForwardDestination

        public init(
            workerID: String, retry: RetryPolicy = RetryPolicy(), batchSize: Int = 32, leaseTimeout: Duration = .seconds(30),
            idlePoll: Duration = .seconds(1), destination: ForwardDestination = .app
        ) {
            self.destination = destination
            self.workerID = workerID
            self.retry = retry
            self.batchSize = batchSize
            self.leaseTimeout = leaseTimeout
            self.idlePoll = idlePoll
        }
    }

    let store: any ForwardQueue
    let transport: any ForwardTransport
    let clock: any PigeonClock
    /// Notified when forwards are queued.
    let signal: WakeSignal
    let configuration: Configuration
    let logger: Logger
    let random: @Sendable () -> Double
    let metrics: PigeonMetrics

    public init(
        store: any ForwardQueue, transport: any ForwardTransport, clock: any PigeonClock, signal: WakeSignal,
        configuration: Configuration, logger: Logger, metrics: PigeonMetrics = .disabled,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.metrics = metrics
        self.store = store
        self.transport = transport
        self.clock = clock
        self.signal = signal
        self.configuration = configuration
        self.logger = logger
        self.random = random
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                var delivered = 0
                do {
                    _ = try await store.reclaimForwards(now: clock.now())
                    delivered = try await runOnce()
                } catch {
                    logger.error("forwarding failed; will try again", metadata: ["error": "\(error)"])
                }
                if delivered > 0 { continue }
                let now = clock.now()
                let due = (try? await store.nextForwardDue(to: configuration.destination)).flatMap { $0 }
                let deadline = min(due.map { max($0, now) } ?? now.adding(configuration.idlePoll), now.adding(configuration.idlePoll))
                await Waiting.untilSignal(signal, orDeadline: deadline, clock: clock)
            }
        }
    }

    /// One pass: posts every forward due now (one per key), waits for the answers and records them.
    /// Returns how many were attempted.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = clock.now()
        let claimed = try await store.claimForwards(
            to: configuration.destination, limit: configuration.batchSize, owner: configuration.workerID, now: now,
            leaseUntil: now.adding(configuration.leaseTimeout))
        await withTaskGroup(of: Void.self) { group in
            for forward in claimed {
                group.addTask { await deliver(forward) }
            }
        }
        return claimed.count
    }

    private func deliver(_ forward: ForwardRecord) async {
        let failure = await transport.post(forward.body)
        let now = clock.now()
        let outcome: ForwardOutcome =
            failure.map {
                ForwardOutcome.failure(
                    attempts: forward.attempts, error: $0.reason, httpStatus: $0.httpStatus, policy: configuration.retry, now: now,
                    jitter: random())
            } ?? .delivered
        do {
            try await store.finishForward(forward.id, owner: configuration.workerID, outcome: outcome, now: now)
        } catch {
            logger.error("recording a forward's outcome failed; it will be sent again", metadata: ["forward": "\(forward.id)", "error": "\(error)"])
        }
        switch outcome {
        case .delivered:
            metrics.forwarded(.delivered)
        case .retry(let at, let error, _):
            metrics.forwarded(.retried)
            logger.warning(
                "forwarding to the application failed; will retry",
                metadata: ["forward": "\(forward.id)", "error": "\(error)", "next_attempt_at": "\(at)"])
        case .deadLetter(let error, _):
            metrics.forwarded(.deadLettered)
            logger.error(
                "forward dead-lettered after its last attempt; POST /v1/forwards/\(forward.id)/retry sends it again",
                metadata: ["forward": "\(forward.id)", "error": "\(error)"])
        }
    }
}
