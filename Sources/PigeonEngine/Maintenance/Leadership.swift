import Foundation
import Logging
import PigeonCore
import ServiceLifecycle
import Synchronization

/// Whether this process runs the periodic jobs (lease reaper, retention, media refresh, webhook settlement)
/// now: one process at a time among all that share the store, through the store's `LeaderElection`. Taking
/// and losing the lead are logged with the worker id. As a service it gives the lead up at shutdown, so
/// another process takes it at once.
public final class Leadership: Service, Sendable {
    /// How long an answer is reused before the store is asked again (500 ms).
    static let recheckAfter: Duration = .milliseconds(500)

    private let election: any LeaderElection
    private let workerID: String
    private let logger: Logger
    private struct State {
        var leads = false
        var checkedAt: ContinuousClock.Instant?
        /// The check under way, shared by every service that asks meanwhile.
        var checking: Task<Bool, Never>?
        /// Set at shutdown: the lead was given up and is not taken again.
        var resigned = false
    }
    private let state = Mutex(State())

    public init(election: any LeaderElection, workerID: String, logger: Logger) {
        self.election = election
        self.workerID = workerID
        self.logger = logger
    }

    /// Whether this process leads; takes the lead when nobody holds it. A store error counts as not leading.
    public func leads() async -> Bool {
        let now = ContinuousClock.now
        let (cached, check) = state.withLock { state -> (Bool?, Task<Bool, Never>?) in
            if state.resigned { return (false, nil) }
            if let at = state.checkedAt, at.duration(to: now) < Self.recheckAfter { return (state.leads, nil) }
            if let running = state.checking { return (nil, running) }
            let task = Task { await self.check() }
            state.checking = task
            return (nil, task)
        }
        if let cached { return cached }
        return await check!.value
    }

    /// Asks the store, records the answer and logs a change of lead.
    private func check() async -> Bool {
        var leads = false
        do {
            leads = try await election.holdsLead()
        } catch {
            logger.warning("could not check the lead; not running periodic jobs meanwhile", metadata: ["error": "\(error)"])
        }
        let had = state.withLock { state -> Bool in
            let had = state.leads
            state.leads = leads
            state.checkedAt = .now
            state.checking = nil
            return had
        }
        if leads && !had {
            logger.notice(
                "took the lead: this instance now runs the lease reaper, retention, media refresh and webhook settlement",
                metadata: ["worker": "\(workerID)"])
        } else if had && !leads {
            logger.warning("lost the lead: another instance runs the periodic jobs now", metadata: ["worker": "\(workerID)"])
        }
        return leads
    }

    public func run() async throws {
        try? await gracefulShutdown()
        state.withLock { state in
            state.resigned = true
            state.leads = false
        }
        await election.resignLead()
    }
}
