import Foundation
import Logging
import PigeonCore
import ServiceLifecycle
import Synchronization

/// Claims due messages in batches under a lease, hands each to the transport, classifies the outcome
/// when it comes back and records outcomes in batches through the lifecycle. On graceful shutdown it stops
/// claiming and finishes what is in flight (each send is bounded by the transport's timeout) before returning.
public final class Dispatcher: Service {
    let store: any MessageQueue
    /// The senders: their credentials for each send, and their pauses.
    let senders: SenderService
    let transport: any MessageTransport
    let lifecycle: Lifecycle
    let classifier: ErrorClassifier
    let pacer: SenderPacer
    let clock: any PigeonClock
    let signal: WakeSignal
    let configuration: DispatcherConfiguration
    let logger: Logger
    let random: @Sendable () -> Double
    let effects: EffectRunner
    /// Resolves `media_key` references before a send; nil when the media library is unavailable.
    let media: MediaService?
    /// Counts sends and media errors for the hourly media-error warning.
    let mediaErrors: MediaErrorMonitor?
    let metrics: PigeonMetrics
    /// Told of every recorded outcome, for callers waiting on one.
    let waiters: OutcomeWaiters

    /// Messages whose lease this worker holds (sending, or outcome not yet recorded) and when it was last set.
    let inFlight = Mutex<[MessageID: Date]>([:])
    /// Outcomes waiting for the next batch write.
    let pending = Mutex<[PendingCompletion]>([])
    /// Wakes the completion writer.
    let completionSignal = WakeSignal()
    /// Sends handed to the transport whose outcome has not come back yet: what `maxInFlight` limits. A slot
    /// frees as soon as the outcome is known, so the next claim can share a commit with the outcome's write.
    let outstanding = Atomic<Int>(0)
    /// Notified when `outstanding` drops to zero.
    let settled = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let attemptsDone = Atomic<Bool>(false)

    public init(
        store: any MessageQueue, senders: SenderService, transport: any MessageTransport, lifecycle: Lifecycle,
        classifier: ErrorClassifier, pacer: SenderPacer, clock: any PigeonClock, signal: WakeSignal,
        configuration: DispatcherConfiguration, logger: Logger, waiters: OutcomeWaiters = OutcomeWaiters(),
        media: MediaService? = nil, mediaErrors: MediaErrorMonitor? = nil, metrics: PigeonMetrics = .disabled,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.metrics = metrics
        self.media = media
        self.mediaErrors = mediaErrors
        self.waiters = waiters
        self.store = store
        self.senders = senders
        self.transport = transport
        self.lifecycle = lifecycle
        self.classifier = classifier
        self.pacer = pacer
        self.clock = clock
        self.signal = signal
        self.configuration = configuration
        self.logger = logger
        self.random = random
        effects = EffectRunner(senders: senders, pacer: pacer, logger: logger)
    }

    /// Number of messages leased by this worker now.
    public var inFlightCount: Int { inFlight.withLock { $0.count } }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.completionLoop() }
            await withGracefulShutdownHandler {
                await claimLoop()
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .relaxed)
                self.signal.notify()
            }
            await untilSendsSettle()
            attemptsDone.store(true, ordering: .relaxed)
            completionSignal.notify()
        }
        logger.info("dispatcher stopped", metadata: ["worker": "\(configuration.workerID)"])
    }

    /// Writes queued outcomes in batches until every attempt has finished and been recorded.
    private func completionLoop() async {
        while true {
            await completionSignal.wait()
            await flushCompletions()
            if attemptsDone.load(ordering: .relaxed) && pending.withLock({ $0.isEmpty }) { return }
        }
    }

    /// Returns once every send handed to the transport has reported its outcome.
    private func untilSendsSettle() async {
        while outstanding.load(ordering: .acquiring) > 0 && !Task.isCancelled {
            await settled.wait()
        }
    }

    private func claimLoop() async {
        var nextRenewal = clock.now().adding(configuration.leaseTimeout / 3)
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            let now = clock.now()
            if now >= nextRenewal {
                await renewLeases(now: now)
                nextRenewal = now.adding(configuration.leaseTimeout / 3)
            }
            let sending = outstanding.load(ordering: .relaxed)
            let free = configuration.maxInFlight - sending
            let wanted = min(free, configuration.batchSize)
            var deadline: Date? = inFlightCount > 0 ? nextRenewal : nil
            if free >= configuration.claimThreshold || (free > 0 && sending == 0) {
                do {
                    let claimed = try await claim(limit: wanted, now: now)
                    for record in claimed { start(record) }
                    if claimed.count == wanted { continue }
                    deadline = earliest(deadline, try await nextWake(now: now))
                } catch {
                    logger.error("claiming messages failed; retrying shortly", metadata: ["error": "\(error)"])
                    deadline = now.adding(.seconds(1))
                }
            }
            await Waiting.untilSignal(signal, orDeadline: deadline, clock: clock)
        }
    }

    /// Claims up to `limit` due messages and marks them in flight.
    public func claim(limit: Int, now: Date) async throws -> [MessageRecord] {
        let claimed = try await store.claim(
            limit: limit, owner: configuration.workerID, now: now, leaseUntil: now.adding(configuration.leaseTimeout),
            excludedSenders: pacer.heldSenders(now: now).union(senders.ids(notOf: configuration.transportKinds)),
            pacing: senders.pacing(random: random))
        if !claimed.isEmpty {
            inFlight.withLock { inFlight in
                for record in claimed { inFlight[record.id] = now }
            }
        }
        return claimed
    }

    /// When to look again: the next due message, a held sender's release, or the idle poll.
    private func nextWake(now: Date) async throws -> Date {
        let poll = now.adding(configuration.idlePoll)
        guard var due = try await store.nextDueTime() else { return poll }
        if due <= now {
            due = pacer.nextRelease(now: now) ?? now.adding(configuration.idlePoll / 10)
        }
        return min(due, poll)
    }

    private func earliest(_ a: Date?, _ b: Date) -> Date { a.map { min($0, b) } ?? b }

    /// Extends the lease of every message in flight for over a third of the lease timeout.
    func renewLeases(now: Date) async {
        let threshold = now.adding(.zero - configuration.leaseTimeout / 3)
        let due = inFlight.withLock { inFlight in inFlight.filter { $0.value <= threshold }.map(\.key) }
        guard !due.isEmpty else { return }
        do {
            try await store.renewLeases(due, owner: configuration.workerID, until: now.adding(configuration.leaseTimeout))
            inFlight.withLock { inFlight in
                for id in due where inFlight[id] != nil { inFlight[id] = now }
            }
        } catch {
            logger.error("renewing leases failed", metadata: ["error": "\(error)", "count": "\(due.count)"])
        }
    }

    /// Runs every due message once, waiting for all outcomes to be recorded; returns how many were attempted.
    /// For tests and tools that drive the engine step by step.
    public func runOnce() async throws -> Int {
        let claimed = try await claim(limit: configuration.maxInFlight, now: clock.now())
        for record in claimed { start(record) }
        await untilSendsSettle()
        await flushCompletions()
        return claimed.count
    }
}
