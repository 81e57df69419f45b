import Foundation
import GRDB
import PigeonCore

/// Writes of lifecycle states and attempt rows through cached statements bound with SQLite's C API. A state
/// write sets only the columns whose value changed, so SQLite leaves alone the indexes on columns that did
/// not (a claim touches no `wamid` or `messages_ended` entry).
enum SQLiteStateWrites {
    /// The `messages` columns a state write may set, in binding order; `lastError` stands for six columns.
    private enum Column: Int, CaseIterable {
        case status, attempts, countedAttempts, maxAttempts, nextAttemptAt, failureReason, wamid, pairLevel,
            mediaRetried, inDoubtGraceUsed, leaseOwner, leaseExpiresAt, lastError

        var assignments: String {
            switch self {
            case .status: "status = ?"
            case .attempts: "attempts = ?"
            case .countedAttempts: "counted_attempts = ?"
            case .maxAttempts: "max_attempts = ?"
            case .nextAttemptAt: "next_attempt_at = ?"
            case .failureReason: "failure_reason = ?"
            case .wamid: "wamid = ?"
            case .pairLevel: "pair_level = ?"
            case .mediaRetried: "media_retried = ?"
            case .inDoubtGraceUsed: "in_doubt_grace_used = ?"
            case .leaseOwner: "lease_owner = ?"
            case .leaseExpiresAt: "lease_expires_at = ?"
            case .lastError:
                "last_error_code = ?, last_error_class = ?, last_error_title = ?, last_error_details = ?, "
                    + "last_error_http_status = ?, last_error_cause = ?"
            }
        }

        func changed(_ old: MessageState, _ new: MessageState) -> Bool {
            switch self {
            case .status: old.status != new.status
            case .attempts: old.attempts != new.attempts
            case .countedAttempts: old.countedAttempts != new.countedAttempts
            case .maxAttempts: old.maxAttempts != new.maxAttempts
            case .nextAttemptAt: old.nextAttemptAt?.millisecondsSince1970 != new.nextAttemptAt?.millisecondsSince1970
            case .failureReason: old.failureReason != new.failureReason
            case .wamid: old.wamid != new.wamid
            case .pairLevel: old.pairLevel != new.pairLevel
            case .mediaRetried: old.mediaRetried != new.mediaRetried
            case .inDoubtGraceUsed: old.inDoubtGraceUsed != new.inDoubtGraceUsed
            case .leaseOwner: old.leaseOwner != new.leaseOwner
            case .leaseExpiresAt: old.leaseExpiresAt?.millisecondsSince1970 != new.leaseExpiresAt?.millisecondsSince1970
            case .lastError: old.lastError != new.lastError
            }
        }

        /// Binds this column's value(s) from `state` starting at `index`; returns the next free index.
        func bind(_ state: MessageState, to statement: RawStatement, at index: Int32) -> Int32 {
            switch self {
            case .status: statement.bind(state.status.rawValue, at: index)
            case .attempts: statement.bind(state.attempts, at: index)
            case .countedAttempts: statement.bind(state.countedAttempts, at: index)
            case .maxAttempts: statement.bind(state.maxAttempts, at: index)
            case .nextAttemptAt: statement.bind(state.nextAttemptAt?.millisecondsSince1970, at: index)
            case .failureReason: statement.bind(state.failureReason?.rawValue, at: index)
            case .wamid: statement.bind(state.wamid, at: index)
            case .pairLevel: statement.bind(state.pairLevel, at: index)
            case .mediaRetried: statement.bind(state.mediaRetried, at: index)
            case .inDoubtGraceUsed: statement.bind(state.inDoubtGraceUsed, at: index)
            case .leaseOwner: statement.bind(state.leaseOwner, at: index)
            case .leaseExpiresAt: statement.bind(state.leaseExpiresAt?.millisecondsSince1970, at: index)
            case .lastError:
                let error = state.lastError
                statement.bind(error?.code, at: index)
                statement.bind(error?.errorClass.rawValue, at: index + 1)
                statement.bind(error?.title, at: index + 2)
                statement.bind(error?.details, at: index + 3)
                statement.bind(error?.httpStatus, at: index + 4)
                statement.bind(error?.cause?.rawValue, at: index + 5)
                return index + 6
            }
            return index + 1
        }
    }

    /// The UPDATE for one set of changed columns (a bit per `Column`), whether it stamps `sent_at`, and
    /// whether it is guarded by the lease.
    private static func updateSQL(changed: Int, stampsSent: Bool, guarded: Bool) -> String {
        var assignments = Column.allCases.filter { changed & (1 << $0.rawValue) != 0 }.map(\.assignments)
        assignments.append("updated_at = ?")
        if stampsSent { assignments.append("sent_at = COALESCE(sent_at, ?)") }
        return "UPDATE messages SET \(assignments.joined(separator: ", ")) WHERE seq = ? AND status = ?"
            + (guarded ? " AND lease_owner = ? AND attempts = ?" : "")
    }

    /// Writes each change whose row still has status `old.status` (and, for guarded writes, the same lease
    /// owner and attempt). Returns the `seq` of every row that changed.
    static func write(_ db: Database, _ writes: [StateWrite], now: Date) throws -> Set<Int64> {
        var applied = Set<Int64>(minimumCapacity: writes.count)
        var counters = CounterChanges()
        let nowMillis = now.millisecondsSince1970
        for write in writes {
            var changed = 0
            for column in Column.allCases where column.changed(write.old, write.new) { changed |= 1 << column.rawValue }
            let stampsSent = write.new.status.deliveryRank != nil
            let sql = updateSQL(changed: changed, stampsSent: stampsSent, guarded: write.leaseOwner != nil)
            let statement = RawStatement(try db.cachedStatement(sql: sql), in: db)
            var index: Int32 = 1
            for column in Column.allCases where changed & (1 << column.rawValue) != 0 {
                index = column.bind(write.new, to: statement, at: index)
            }
            statement.bind(nowMillis, at: index)
            index += 1
            if stampsSent {
                statement.bind(nowMillis, at: index)
                index += 1
            }
            statement.bind(write.seq, at: index)
            statement.bind(write.old.status.rawValue, at: index + 1)
            if let owner = write.leaseOwner {
                statement.bind(owner, at: index + 2)
                statement.bind(write.old.attempts, at: index + 3)
            }
            if try statement.execute() == 1 {
                applied.insert(write.seq)
                counters.moved(from: write.old.status, to: write.new.status, at: now)
            }
        }
        try counters.write(db)
        return applied
    }

    /// Stores which media library ids each finished attempt sent.
    static func recordMediaUse(_ db: Database, _ uses: [(completion: AttemptCompletion, media: MediaUse)]) throws {
        guard !uses.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO media_sends (message_seq, attempt, key, media_id, after_media_error) VALUES (?, ?, ?, ?, ?)")
        for (completion, media) in uses {
            for (key, id) in media.ids {
                try statement.execute(arguments: [completion.seq, completion.attempt, key, id, media.afterMediaError])
            }
        }
    }

    /// Stores finished attempts in the history (a row per attempt, written when its outcome is known; while an
    /// attempt is in flight the message row's `status`, `attempts` and `updated_at` hold it). Writing an attempt
    /// that is already there replaces its outcome without counting it again.
    static func record(_ db: Database, _ attempts: [AttemptRow]) throws {
        guard !attempts.isEmpty else { return }
        let insert = RawStatement(
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO attempts (started_at, message_seq, number, finished_at, outcome, http_status,
                      error_code, error_class, error_title, error_details, duration_ms, error_cause, sender_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """), in: db)
        var counters = CounterChanges()
        for attempt in attempts {
            insert.bind(attempt.startedAt.millisecondsSince1970, at: 1)
            insert.bind(attempt.senderID, at: 13)
            try bindOutcome(of: attempt, to: insert)
            if try insert.execute() == 1 {
                counters.attempted(startedAt: attempt.startedAt, number: attempt.number)
            } else {
                let update = RawStatement(
                    try db.cachedStatement(
                        sql: """
                            UPDATE attempts SET finished_at = ?4, outcome = ?5, http_status = ?6, error_code = ?7,
                              error_class = ?8, error_title = ?9, error_details = ?10, duration_ms = ?11,
                              error_cause = ?12
                            WHERE message_seq = ?2 AND number = ?3
                            """), in: db)
                try bindOutcome(of: attempt, to: update)
                try update.execute()
            }
        }
        try counters.write(db)
    }

    /// Binds an attempt's identity (positions 2–3) and outcome (4–12).
    private static func bindOutcome(of attempt: AttemptRow, to statement: RawStatement) throws {
        let error = attempt.error
        statement.bind(attempt.seq, at: 2)
        statement.bind(attempt.number, at: 3)
        statement.bind(attempt.finishedAt.millisecondsSince1970, at: 4)
        statement.bind(attempt.outcome.rawValue, at: 5)
        statement.bind(error?.httpStatus, at: 6)
        statement.bind(error?.code, at: 7)
        statement.bind(error?.errorClass.rawValue, at: 8)
        statement.bind(error?.title, at: 9)
        statement.bind(error?.details, at: 10)
        statement.bind(attempt.durationMs, at: 11)
        statement.bind(error?.cause?.rawValue, at: 12)
    }
}
