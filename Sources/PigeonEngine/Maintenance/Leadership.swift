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
    private let state = Mutex<(leads: Bool, checkedAt: ContinuousClock.Instant?)>((false, nil))

    public init(election: any LeaderElection, workerID: String, logger: Logger) {
        self.election = election
        self.workerID = workerID
        self.logger = logger
    }

    /// Whether this process leads; takes the lead when nobody holds it. A store error counts as not leading.
    public func leads() async -> Bool {
        let now = ContinuousClock.now
        if let cached = state.withLock({ state in state.checkedAt.map { $0.duration(to: now) < Self.recheckAfter } == true ? state.leads : nil }) {
            return cached
        }
        var leads = false
        do {
            leads = try await election.holdsLead()
        } catch {
            logger.warning("could not check the lead; not running periodic jobs meanwhile", metadata: ["error": "\(error)"])
        }
        let had = state.withLock { state -> Bool in
            let had = state.leads
            state = (leads, now)
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
        await election.resignLead()
        state.withLock { $0 = (false, nil) }
    }
}
