import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: LeaderElection {
    /// The lead is a session advisory lock held on a connection of its own: the server releases it when the
    /// connection ends, so a process that dies loses the lead and another takes it at its next try.
    public func holdsLead() async throws -> Bool {
        let leader = leader
        guard let result = await withDeadline(Self.maxLeadCheck, { try await leader.holdsLead() }) else {
            await leader.forget()
            throw StoreUnavailable("the database did not answer the lead check within \(Self.maxLeadCheck)")
        }
        do {
            return try result.get()
        } catch {
            throw Self.unavailable(error) ?? error
        }
    }

    public func resignLead() async {
        let leader = leader
        if await withDeadline(Self.closeTimeout, { await leader.resign() }) == nil { await leader.forget() }
    }

    /// The longest a lead check waits for the database.
    static let maxLeadCheck: Duration = .seconds(5)
}

extension PostgresStore: WorkNotifications {
    /// `NOTIFY pigeon_work`, sent by each enqueue when it commits, heard on a connection of its own.
    public func workNotifications() -> AsyncStream<Void> {
        let configuration = connectionConfiguration
        let logger = logger
        let channel = Self.workChannel
        return AsyncStream { continuation in
            let task = Task {
                var delay: Duration = .milliseconds(100)
                while !Task.isCancelled {
                    do {
                        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
                        delay = .milliseconds(100)
                        var failure: (any Error)?
                        do {
                            try await connection.listen(on: channel) { notifications in
                                for try await _ in notifications { continuation.yield() }
                            }
                        } catch {
                            failure = error
                        }
                        // A connection must be closed before it is released, whichever way the listening ended.
                        try? await connection.close()
                        if let failure { throw failure }
                    } catch {
                        guard !Task.isCancelled else { break }
                        logger.debug("listening for new work failed; trying again", metadata: ["error": "\(Self.describe(error))"])
                        try? await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(5))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Holds the leader lock on a connection of its own, checking at each call that the connection still lives.
actor AdvisoryLeader {
    /// The advisory lock key of the lead ("pigeon" and 1).
    static let lockKey: Int64 = 0x70_69_67_65_6f_6e_01

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private var connection: PostgresConnection?

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func holdsLead() async throws -> Bool {
        if let connection {
            do {
                try await connection.query("SELECT 1", logger: logger)
                return true
            } catch {
                // The connection died, and the server released the lock with it.
                forget()
            }
        }
        let candidate = try await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
        let rows = try await candidate.query("SELECT pg_try_advisory_lock(\(Self.lockKey)) AS taken", logger: logger)
        var taken = false
        for try await row in rows { taken = try row.makeRandomAccess()["taken"].decode(Bool.self) }
        guard taken else {
            try? await candidate.close()
            return false
        }
        connection = candidate
        return true
    }

    func resign() async {
        let held = connection
        connection = nil
        try? await held?.close()
    }

    /// Drops the connection without waiting for it to close (it stopped answering; the server released its
    /// lock when it died, or will when the connection ends).
    func forget() {
        let held = connection
        connection = nil
        // Closed in the background: a connection must be closed before it is released, and this one may never answer.
        if let held { Task { try? await held.close() } }
    }
}
