import Foundation
import GRDB
import PigeonCore

extension SQLiteStore: CampaignStore {
    public func insertCampaign(_ campaign: CampaignRecord) async throws {
        try await write { db in try Self.write(campaign, db, insert: true) }
    }

    public func campaign(_ id: String) async throws -> CampaignRecord? {
        try await read { db in try Self.campaign(id, db) }
    }

    public func campaigns(limit: Int, cursor: Int64?) async throws -> (campaigns: [CampaignRecord], next: Int64?) {
        try await read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM campaigns WHERE seq < ? ORDER BY seq DESC LIMIT ?", arguments: [cursor ?? Int64.max, limit + 1])
            let page = rows.prefix(limit)
            return (page.map(Self.campaign(from:)), rows.count > limit ? page.last?["seq"] : nil)
        }
    }

    public func updateCampaign(
        _ id: String, now: Date, _ change: @escaping @Sendable (CampaignRecord) throws -> CampaignRecord
    ) async throws -> (before: CampaignRecord, after: CampaignRecord)? {
        try await write { db in
            guard let before = try Self.campaign(id, db) else { return nil }
            var after = try change(before)
            after.id = id
            after.updatedAt = now
            try Self.write(after, db, insert: false)
            return (before, after)
        }
    }

    public func addRecipients(
        _ id: String, _ recipients: [NewRecipient], maxRetries: Int, now: Date, schedule: @escaping @Sendable (Int) -> String
    ) async throws -> [Bool]? {
        try await write { db in
            guard let imported = try Int.fetchOne(db, sql: "SELECT imported FROM campaigns WHERE id = ?", arguments: [id]) else { return nil }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO campaign_recipients (campaign_id, phone, variables, status, max_retries, scheduled_send_date, updated_at)
                    VALUES (?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (campaign_id, phone) DO NOTHING
                    """)
            var added = 0
            let nowMillis = now.millisecondsSince1970
            let results = try recipients.map { recipient -> Bool in
                try insert.execute(arguments: [
                    id, recipient.phone, CampaignColumns.encode(recipient.variables), maxRetries, schedule(imported + added), nowMillis,
                ])
                guard db.changesCount > 0 else { return false }
                added += 1
                return true
            }
            try db.execute(sql: "UPDATE campaigns SET imported = imported + ? WHERE id = ?", arguments: [added, id])
            return results
        }
    }

    public func recipients(
        of id: String, status: RecipientStatus?, limit: Int, cursor: Int64?
    ) async throws -> (recipients: [CampaignRecipient], next: Int64?) {
        try await read { db in
            let filter = status == nil ? "" : "AND status = ?"
            var arguments: StatementArguments = [id, cursor ?? 0]
            if let status { arguments += [status.rawValue] }
            arguments += [limit + 1]
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM campaign_recipients WHERE campaign_id = ? AND seq > ? \(filter) ORDER BY seq LIMIT ?",
                arguments: arguments)
            let page = rows.prefix(limit)
            return (page.map(Self.recipient(from:)), rows.count > limit ? page.last?["seq"] : nil)
        }
    }

    public func recipientCounts(of id: String, rule: CampaignRetryRule) async throws -> RecipientCounts {
        try await read { db in
            var byStatus: [RecipientStatus: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT status, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = ? GROUP BY status", arguments: [id])
            {
                if let status = RecipientStatus(rawValue: row["status"]) { byStatus[status] = row["n"] }
            }
            let retries = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = ? AND \(rule.sqlRetryable)", arguments: [id])!
            var byCode: [Int?: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT error_code, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND status = 'failed' GROUP BY error_code",
                arguments: [id])
            {
                byCode[row["error_code"] as Int?] = row["n"]
            }
            return RecipientCounts(byStatus: byStatus, retriesScheduled: retries, failedByCode: byCode)
        }
    }

    public func campaignFailure(of id: String, codes: Set<Int>, since: Date) async throws -> Int? {
        guard !codes.isEmpty else { return nil }
        return try await read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT error_code FROM campaign_recipients
                    WHERE campaign_id = ? AND status = 'failed' AND failed_at >= ? AND error_code IN (\(codes.sorted().map(String.init).joined(separator: ", ")))
                    LIMIT 1
                    """,
                arguments: [id, since.millisecondsSince1970])
        }
    }

    public func campaignReach(senders: [String], since: Date) async throws -> Int {
        guard !senders.isEmpty else { return 0 }
        return try await read { db in
            let marks = Array(repeating: "?", count: senders.count).joined(separator: ", ")
            return try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(DISTINCT m.recipient) FROM campaign_recipients r INDEXED BY campaign_recipients_reach
                    JOIN messages m ON m.id = r.message_id
                    WHERE r.message_id IS NOT NULL AND r.released_at >= ? AND m.sender_id IN (\(marks))
                      AND m.status NOT IN ('failed', 'cancelled')
                    """,
                arguments: StatementArguments([since.millisecondsSince1970] + senders))!
        }
    }

    public func campaignWork(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, cap: Int
    ) async throws -> (scheduled: Int, retries: Int) {
        try await read { db in
            let scheduled = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM (SELECT 1 FROM campaign_recipients
                      WHERE campaign_id = ? AND status = 'pending' AND scheduled_send_date <= ? LIMIT ?)
                    """, arguments: [id, today, cap])!
            let retries = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM (SELECT 1 FROM campaign_recipients
                      WHERE campaign_id = ? AND failed_at < ? AND \(rule.sqlRetryable) LIMIT ?)
                    """, arguments: [id, retryBefore.millisecondsSince1970, cap])!
            return (scheduled, retries)
        }
    }

    public func campaignCandidates(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, limit: Int
    ) async throws -> [(recipient: CampaignRecipient, optedOut: Bool)] {
        try await read { db in
            let optedOut = "EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = r.phone) AS opted_out"
            let decode = { (row: Row) in (Self.recipient(from: row), row["opted_out"] as Bool) }
            var found = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.*, \(optedOut) FROM campaign_recipients r INDEXED BY campaign_recipients_work
                    WHERE campaign_id = ? AND status = 'pending' AND scheduled_send_date <= ?
                    ORDER BY scheduled_send_date, seq LIMIT ?
                    """, arguments: [id, today, limit]
            ).map(decode)
            if found.count < limit {
                found += try Row.fetchAll(
                    db,
                    sql: """
                        SELECT r.*, \(optedOut) FROM campaign_recipients r INDEXED BY campaign_recipients_failed
                        WHERE campaign_id = ? AND failed_at < ? AND \(rule.sqlRetryable)
                        ORDER BY failed_at, seq LIMIT ?
                        """, arguments: [id, retryBefore.millisecondsSince1970, limit - found.count]
                ).map(decode)
            }
            return found
        }
    }

    public func sendCampaignWork(
        _ id: String, expected: CampaignDay, day: CampaignDay, sends: [CampaignSend], skips: [(seq: Int64, reason: SkipReason)],
        now: Date
    ) async throws -> CampaignSendResult? {
        try await write { db in
            guard let stored = try Self.campaign(id, db), stored.day == expected else { return nil }
            let nowMillis = now.millisecondsSince1970
            var skipped = 0
            for skip in skips {
                try db.execute(
                    sql: """
                        UPDATE campaign_recipients SET status = 'skipped', skip_reason = ?, updated_at = ?
                        WHERE seq = ? AND campaign_id = ? AND status IN ('pending', 'failed')
                        """, arguments: [skip.reason.rawValue, nowMillis, skip.seq, id])
                skipped += db.changesCount
            }
            let take = try db.cachedStatement(
                sql: """
                    UPDATE campaign_recipients SET status = 'sending', sends = sends + 1, message_id = ?, updated_at = ?,
                      released_at = ?, earlier_message_ids = \(CampaignColumns.appendEarlier)
                    WHERE seq = ? AND campaign_id = ? AND status = ? AND message_id IS ?
                      AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = campaign_recipients.phone)
                    """)
            let inserter = try MessageInserter(db: db, now: now)
            var result = CampaignSendResult(scheduled: 0, retries: 0, skipped: skipped, day: day)
            for send in sends {
                let recipient = send.recipient
                try take.execute(arguments: [
                    send.message.id.rawValue, nowMillis, nowMillis, recipient.seq, id, recipient.status.rawValue, recipient.messageID?.rawValue,
                ])
                guard db.changesCount > 0 else { continue }
                _ = try inserter.insert(send.message, campaign: id, recipient: recipient.seq)
                if send.isRetry { result.retries += 1 } else { result.scheduled += 1 }
            }
            try inserter.finish(db)
            result.day.sent += result.scheduled + result.retries
            result.day.sentScheduled += result.scheduled
            var updated = stored
            updated.day = result.day
            updated.updatedAt = now
            try Self.write(updated, db, insert: false)
            return result
        }
    }

    public func rearmRecipients(_ id: String, matching filter: RecipientFilter, today: String, now: Date) async throws -> Int {
        try await write { db in
            var conditions = ["campaign_id = ?", "status = 'failed'"]
            var arguments: StatementArguments = [today, now.millisecondsSince1970, id]
            if let code = filter.errorCode {
                conditions.append("error_code = ?")
                arguments += [code]
            }
            if let errorClass = filter.errorClass {
                conditions.append("error_class = ?")
                arguments += [errorClass.rawValue]
            }
            if let since = filter.since {
                conditions.append("failed_at >= ?")
                arguments += [since.millisecondsSince1970]
            }
            try db.execute(
                sql: """
                    UPDATE campaign_recipients SET status = 'pending', scheduled_send_date = ?, updated_at = ?,
                      earlier_message_ids = \(CampaignColumns.appendEarlier), message_id = NULL
                    WHERE \(conditions.joined(separator: " AND "))
                    """, arguments: arguments)
            return db.changesCount
        }
    }

    public func skipPending(_ id: String, reason: SkipReason, now: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql:
                    "UPDATE campaign_recipients SET status = 'skipped', skip_reason = ?, updated_at = ? WHERE campaign_id = ? AND status = 'pending'",
                arguments: [reason.rawValue, now.millisecondsSince1970, id])
            return db.changesCount
        }
    }

    public func addOptOuts(_ optOuts: [OptOut]) async throws {
        guard !optOuts.isEmpty else { return }
        try await write { db in
            for optOut in optOuts {
                try db.execute(
                    sql: "INSERT INTO opt_outs (phone, source, keyword, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (phone) DO NOTHING",
                    arguments: [optOut.phone, optOut.source, optOut.keyword, optOut.createdAt.millisecondsSince1970])
            }
        }
    }

    public func removeOptOut(_ phone: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM opt_outs WHERE phone = ?", arguments: [phone])
            return db.changesCount > 0
        }
    }

    public func optOuts(limit: Int, cursor: Int64?) async throws -> (optOuts: [OptOut], next: Int64?) {
        try await read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM opt_outs WHERE seq < ? ORDER BY seq DESC LIMIT ?", arguments: [cursor ?? Int64.max, limit + 1])
            let page = rows.prefix(limit).map { row in
                OptOut(
                    seq: row["seq"], phone: row["phone"], source: row["source"], keyword: row["keyword"],
                    createdAt: Date(millisecondsSince1970: row["created_at"]))
            }
            return (page, rows.count > limit ? page.last?.seq : nil)
        }
    }

    public func optedOut(_ phones: [String]) async throws -> Set<String> {
        guard !phones.isEmpty else { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: phones.count).joined(separator: ", ")
            return Set(try String.fetchAll(db, sql: "SELECT phone FROM opt_outs WHERE phone IN (\(marks))", arguments: StatementArguments(phones)))
        }
    }

    static func campaign(_ id: String, _ db: Database) throws -> CampaignRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM campaigns WHERE id = ?", arguments: [id]).map(campaign(from:))
    }

    static func campaign(from row: Row) -> CampaignRecord {
        let from: Int? = row["window_from"]
        let to: Int? = row["window_to"]
        return CampaignRecord(
            id: row["id"], name: row["name"], message: row["message"], senderID: row["sender_id"], pool: row["pool"],
            dailySendLimit: row["daily_send_limit"], startDate: row["start_date"], timeZone: row["time_zone"],
            sendWindow: from.flatMap { from in to.map { SendWindow(from: from, to: $0) } }, maxRetries: row["max_retries"],
            status: CampaignStatus(rawValue: row["status"]) ?? .paused, pauseReason: row["pause_reason"],
            pauseCode: row["pause_code"], resumedAt: SQLiteRows.date(row["resumed_at"]), imported: row["imported"],
            day: CampaignDay(
                day: row["day"], sent: row["day_sent"], sentScheduled: row["day_sent_scheduled"], planned: row["day_planned"],
                base: row["day_base"], from: SQLiteRows.date(row["day_from"])),
            createdAt: Date(millisecondsSince1970: row["created_at"]), updatedAt: Date(millisecondsSince1970: row["updated_at"]))
    }

    static func write(_ campaign: CampaignRecord, _ db: Database, insert: Bool) throws {
        let values: [(String, (any DatabaseValueConvertible)?)] = [
            ("name", campaign.name), ("message", campaign.message), ("sender_id", campaign.senderID), ("pool", campaign.pool),
            ("daily_send_limit", campaign.dailySendLimit), ("start_date", campaign.startDate), ("time_zone", campaign.timeZone),
            ("window_from", campaign.sendWindow?.from), ("window_to", campaign.sendWindow?.to), ("max_retries", campaign.maxRetries),
            ("status", campaign.status.rawValue), ("pause_reason", campaign.pauseReason), ("pause_code", campaign.pauseCode),
            ("resumed_at", campaign.resumedAt?.millisecondsSince1970), ("imported", campaign.imported),
            ("day", campaign.day.day), ("day_sent", campaign.day.sent), ("day_sent_scheduled", campaign.day.sentScheduled),
            ("day_planned", campaign.day.planned), ("day_base", campaign.day.base),
            ("day_from", campaign.day.from?.millisecondsSince1970), ("updated_at", campaign.updatedAt.millisecondsSince1970),
        ]
        if insert {
            let columns = ["id", "created_at"] + values.map(\.0)
            let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            try db.execute(
                sql: "INSERT INTO campaigns (\(columns.joined(separator: ", "))) VALUES (\(marks))",
                arguments: StatementArguments([campaign.id, campaign.createdAt.millisecondsSince1970] + values.map(\.1)))
        } else {
            try db.execute(
                sql: "UPDATE campaigns SET \(values.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE id = ?",
                arguments: StatementArguments(values.map(\.1) + [campaign.id]))
        }
    }

    static func recipient(from row: Row) -> CampaignRecipient {
        let messageID: String? = row["message_id"]
        let earlier: String = row["earlier_message_ids"]
        let errorClass: String? = row["error_class"]
        let reason: String? = row["failure_reason"]
        let skip: String? = row["skip_reason"]
        return CampaignRecipient(
            seq: row["seq"], campaignID: row["campaign_id"], phone: row["phone"], variables: CampaignColumns.decode(row["variables"]),
            status: RecipientStatus(rawValue: row["status"]) ?? .pending, sends: row["sends"], maxRetries: row["max_retries"],
            scheduledSendDate: row["scheduled_send_date"], messageID: messageID.map(MessageID.init(rawValue:)),
            earlierMessageIDs: CampaignColumns.earlier(earlier), errorCode: row["error_code"],
            errorClass: errorClass.flatMap(ErrorClass.init(rawValue:)), failureReason: reason.flatMap(FailureReason.init(rawValue:)),
            errorTitle: row["error_title"], failedAt: SQLiteRows.date(row["failed_at"]), skipReason: skip.flatMap(SkipReason.init(rawValue:)),
            updatedAt: Date(millisecondsSince1970: row["updated_at"]))
    }
}
