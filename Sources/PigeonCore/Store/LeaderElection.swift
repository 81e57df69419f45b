/// One leader among every process sharing the store, for the periodic jobs (lease reaper, retention, media
/// refresh, webhook settlement): the lead is held while the process lives and its connection or file lock
/// stays open, so when the holder dies another process takes it at its next try.
public protocol LeaderElection: Sendable {
    /// Takes the lead if nobody holds it, keeps it if this store holds it; returns whether this store leads.
    func holdsLead() async throws -> Bool
    /// Gives the lead up (at shutdown), so another process can take it at once.
    func resignLead() async
}

/// Tells a process that another one queued work, so an idle dispatcher starts at once instead of at its
/// next poll. Stores that cannot tell (one SQLite file: processes poll) do not conform.
public protocol WorkNotifications: Sendable {
    /// Yields once for each notification of new work, from every process sharing the store (this one too);
    /// it reconnects by itself after a failure and ends only when the store is closed.
    func workNotifications() -> AsyncStream<Void>
}
