import Foundation
import Logging
import PigeonCore
import PostgresNIO

extension PostgresStore: CampaignStore {
    public func insertCampaign(_ campaign: CampaignRecord) async throws {
        let logger = logger
        try await write { connection in try await Self.write(campaign, insert: true, connection, logger: logger) }
    }

    public func campaign(_ id: String) async throws -> CampaignRecord? {
        let logger = logger
        return try await read { connection in try await Self.campaign(id, lock: false, connection, logger: logger) }
    }

    public func campaigns(limit: Int, cursor: Int64?) async throws -> (campaigns: [CampaignRecord], next: Int64?) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT * FROM campaigns WHERE seq < \(sql.bind(cursor ?? Int64.max)) ORDER BY seq DESC LIMIT \(sql.bind(limit + 1))"
            let rows = try await connection.rows(sql, logger: logger)
            let page = rows.prefix(limit)
            return (try page.map(Self.campaign(from:)), rows.count > limit ? try page.last?.get("seq", as: Int64.self) : nil)
        }
    }

    public func updateCampaign(
        _ id: String, now: Date, _ change: @escaping @Sendable (CampaignRecord) throws -> CampaignRecord
    ) async throws -> (before: CampaignRecord, after: CampaignRecord)? {
        let logger = logger
        return try await write { connection in
            guard let before = try await Self.campaign(id, lock: true, connection, logger: logger) else { return nil }
            var after = try change(before)
            after.id = id
            after.updatedAt = now
            try await Self.write(after, insert: false, connection, logger: logger)
            return (before, after)
        }
    }

    public func addRecipients(
        _ id: String, _ recipients: [NewRecipient], maxRetries: Int, now: Date, schedule: @escaping @Sendable (Int) -> String
    ) async throws -> [Bool]? {
        let logger = logger
        return try await write { connection in
            guard let campaign = try await Self.campaign(id, lock: true, connection, logger: logger) else { return nil }
            var existing = SQL()
            existing.text = """
                SELECT phone FROM campaign_recipients
                WHERE campaign_id = \(existing.bind(id)) AND phone = ANY(\(existing.bind(recipients.map(\.phone)))::text[])
                """
            var seen = Set(try await connection.rows(existing, logger: logger).map { try $0.get("phone", as: String.self) })
            var added: [NewRecipient] = []
            let results = recipients.map { recipient in
                guard seen.insert(recipient.phone).inserted else { return false }
                added.append(recipient)
                return true
            }
            guard !added.isEmpty else { return results }
            var insert = SQL()
            let campaignID = insert.bind(id)
            let phones = insert.bind(added.map(\.phone))
            let variables = insert.bind(added.map { CampaignColumns.encode($0.variables) })
            let days = insert.bind(added.indices.map { schedule(campaign.imported + $0) })
            insert.text = """
                INSERT INTO campaign_recipients (campaign_id, phone, variables, status, max_retries, scheduled_send_date, updated_at)
                SELECT \(campaignID), p, v, 'pending', \(insert.bind(maxRetries)), d, \(insert.bind(now.millisecondsSince1970))
                FROM UNNEST(\(phones)::text[], \(variables)::text[], \(days)::text[]) AS t(p, v, d)
                ON CONFLICT (campaign_id, phone) DO NOTHING
                """
            try await connection.run(insert, logger: logger)
            var count = SQL()
            count.text = "UPDATE campaigns SET imported = imported + \(count.bind(added.count)) WHERE id = \(count.bind(id))"
            try await connection.run(count, logger: logger)
            return results
        }
    }

    public func recipients(
        of id: String, status: RecipientStatus?, limit: Int, cursor: Int64?
    ) async throws -> (recipients: [CampaignRecipient], next: Int64?) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            let filter = status.map { "AND status = \(sql.bind($0.rawValue))" } ?? ""
            sql.text = """
                SELECT * FROM campaign_recipients WHERE campaign_id = \(sql.bind(id)) AND seq > \(sql.bind(cursor ?? 0)) \(filter)
                ORDER BY seq LIMIT \(sql.bind(limit + 1))
                """
            let rows = try await connection.rows(sql, logger: logger)
            let page = try rows.prefix(limit).map(Self.recipient(from:))
            return (page, rows.count > limit ? page.last?.seq : nil)
        }
    }

    public func recipientCounts(of id: String, rule: CampaignRetryRule) async throws -> RecipientCounts {
        let logger = logger
        return try await read { connection in
            var byStatus: [RecipientStatus: Int] = [:]
            var sql = SQL()
            sql.text = "SELECT status, COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = \(sql.bind(id)) GROUP BY status"
            for row in try await connection.rows(sql, logger: logger) {
                if let status = RecipientStatus(rawValue: try row.get("status")) { byStatus[status] = try row.get("n", as: Int.self) }
            }
            var retries = SQL()
            retries.text = "SELECT COUNT(*) AS n FROM campaign_recipients WHERE campaign_id = \(retries.bind(id)) AND \(rule.sqlRetryable)"
            let retrying = try await connection.rows(retries, logger: logger).first!.get("n", as: Int.self)
            var codes = SQL()
            codes.text = """
                SELECT error_code, COUNT(*) AS n FROM campaign_recipients
                WHERE campaign_id = \(codes.bind(id)) AND status = 'failed' GROUP BY error_code
                """
            var byCode: [Int?: Int] = [:]
            for row in try await connection.rows(codes, logger: logger) {
                byCode[try row.get("error_code", as: Int?.self)] = try row.get("n", as: Int.self)
            }
            return RecipientCounts(byStatus: byStatus, retriesScheduled: retrying, failedByCode: byCode)
        }
    }

    public func campaignFailure(of id: String, codes: Set<Int>, since: Date) async throws -> Int? {
        guard !codes.isEmpty else { return nil }
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT error_code FROM campaign_recipients
                WHERE campaign_id = \(sql.bind(id)) AND status = 'failed' AND failed_at >= \(sql.bind(since.millisecondsSince1970))
                  AND error_code = ANY(\(sql.bind(codes.sorted())))
                LIMIT 1
                """
            return try await connection.rows(sql, logger: logger).first?.get("error_code", as: Int.self)
        }
    }

    public func campaignReach(senders: [String], since: Date) async throws -> Int {
        guard !senders.isEmpty else { return 0 }
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = """
                SELECT COUNT(DISTINCT m.recipient) AS n FROM campaign_recipients r JOIN messages m ON m.id = r.message_id
                WHERE r.message_id IS NOT NULL AND r.released_at >= \(sql.bind(since.millisecondsSince1970))
                  AND m.sender_id = ANY(\(sql.bind(senders))::text[]) AND m.status NOT IN ('failed', 'cancelled')
                """
            return try await connection.rows(sql, logger: logger).first!.get("n", as: Int.self)
        }
    }

    public func campaignWork(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, cap: Int
    ) async throws -> (scheduled: Int, retries: Int) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            let campaignID = sql.bind(id)
            let limit = sql.bind(cap)
            sql.text = """
                SELECT
                  (SELECT COUNT(*) FROM (SELECT 1 FROM campaign_recipients WHERE campaign_id = \(campaignID) AND status = 'pending'
                     AND scheduled_send_date <= \(sql.bind(today)) LIMIT \(limit)) s) AS scheduled,
                  (SELECT COUNT(*) FROM (SELECT 1 FROM campaign_recipients WHERE campaign_id = \(campaignID)
                     AND failed_at < \(sql.bind(retryBefore.millisecondsSince1970)) AND \(rule.sqlRetryable) LIMIT \(limit)) r) AS retries
                """
            let row = try await connection.rows(sql, logger: logger).first!
            return (try row.get("scheduled", as: Int.self), try row.get("retries", as: Int.self))
        }
    }

    public func campaignCandidates(
        of id: String, today: String, retryBefore: Date, rule: CampaignRetryRule, limit: Int
    ) async throws -> [(recipient: CampaignRecipient, optedOut: Bool)] {
        let logger = logger
        return try await read { connection in
            let optedOut = "EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = r.phone) AS opted_out"
            let decode = { (row: PostgresRandomAccessRow) in (try Self.recipient(from: row), try row.get("opted_out", as: Bool.self)) }
            var scheduled = SQL()
            scheduled.text = """
                SELECT r.*, \(optedOut) FROM campaign_recipients r
                WHERE campaign_id = \(scheduled.bind(id)) AND status = 'pending' AND scheduled_send_date <= \(scheduled.bind(today))
                ORDER BY scheduled_send_date, seq LIMIT \(scheduled.bind(limit))
                """
            var found = try await connection.rows(scheduled, logger: logger).map(decode)
            if found.count < limit {
                var retries = SQL()
                retries.text = """
                    SELECT r.*, \(optedOut) FROM campaign_recipients r
                    WHERE campaign_id = \(retries.bind(id)) AND failed_at < \(retries.bind(retryBefore.millisecondsSince1970))
                      AND \(rule.sqlRetryable)
                    ORDER BY failed_at, seq LIMIT \(retries.bind(limit - found.count))
                    """
                found += try await connection.rows(retries, logger: logger).map(decode)
            }
            return found
        }
    }

    public func sendCampaignWork(
        _ id: String, expected: CampaignDay, day: CampaignDay, sends: [CampaignSend], skips: [(seq: Int64, reason: SkipReason)],
        now: Date
    ) async throws -> CampaignSendResult? {
        let logger = logger
        return try await write { connection in
            guard let stored = try await Self.campaign(id, lock: true, connection, logger: logger), stored.day == expected else { return nil }
            let nowMillis = now.millisecondsSince1970
            var result = CampaignSendResult(scheduled: 0, retries: 0, skipped: 0, day: day)
            if !skips.isEmpty {
                var skip = SQL()
                skip.text = """
                    UPDATE campaign_recipients SET status = 'skipped', skip_reason = t.reason, updated_at = \(skip.bind(nowMillis))
                    FROM UNNEST(\(skip.bind(skips.map(\.seq)))::bigint[], \(skip.bind(skips.map(\.reason.rawValue)))::text[]) AS t(seq, reason)
                    WHERE campaign_recipients.seq = t.seq AND campaign_id = \(skip.bind(id)) AND status IN ('pending', 'failed')
                    RETURNING campaign_recipients.seq
                    """
                result.skipped = try await connection.run(skip, logger: logger)
            }
            var taken: [CampaignSend] = []
            if !sends.isEmpty {
                var take = SQL()
                take.text = """
                    UPDATE campaign_recipients SET status = 'sending', sends = sends + 1, message_id = t.message, updated_at = \(take.bind(nowMillis)),
                      released_at = \(take.bind(nowMillis)), earlier_message_ids = \(CampaignColumns.appendEarlier)
                    FROM UNNEST(\(take.bind(sends.map(\.recipient.seq)))::bigint[], \(take.bind(sends.map(\.message.id.rawValue)))::text[],
                      \(take.bind(sends.map(\.recipient.status.rawValue)))::text[], \(take.bind(sends.map { $0.recipient.messageID?.rawValue ?? "" }))::text[])
                      AS t(seq, message, status, previous)
                    WHERE campaign_recipients.seq = t.seq AND campaign_id = \(take.bind(id)) AND campaign_recipients.status = t.status
                      AND COALESCE(campaign_recipients.message_id, '') = t.previous
                      AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.phone = campaign_recipients.phone)
                    RETURNING campaign_recipients.seq
                    """
                let seqs = Set(try await connection.rows(take, logger: logger).map { try $0.get("seq", as: Int64.self) })
                taken = sends.filter { seqs.contains($0.recipient.seq) }
            }
            if !taken.isEmpty {
                _ = try await PostgresInserts.enqueue(
                    [PostgresIntake.Request(messages: taken.map(\.message), now: now)], connection, logger: logger)
                var link = SQL()
                link.text = """
                    UPDATE messages SET campaign_id = \(link.bind(id)), campaign_recipient = t.recipient
                    FROM UNNEST(\(link.bind(taken.map(\.message.id.rawValue)))::text[], \(link.bind(taken.map(\.recipient.seq)))::bigint[])
                      AS t(id, recipient)
                    WHERE messages.id = t.id
                    """
                try await connection.run(link, logger: logger)
            }
            result.retries = taken.filter(\.isRetry).count
            result.scheduled = taken.count - result.retries
            result.day.sent += taken.count
            result.day.sentScheduled += result.scheduled
            var updated = stored
            updated.day = result.day
            updated.updatedAt = now
            try await Self.write(updated, insert: false, connection, logger: logger)
            return result
        }
    }

    public func rearmRecipients(_ id: String, matching filter: RecipientFilter, today: String, now: Date) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            var conditions = ["campaign_id = \(sql.bind(id))", "status = 'failed'"]
            if let code = filter.errorCode { conditions.append("error_code = \(sql.bind(code))") }
            if let errorClass = filter.errorClass { conditions.append("error_class = \(sql.bind(errorClass.rawValue))") }
            if let since = filter.since { conditions.append("failed_at >= \(sql.bind(since.millisecondsSince1970))") }
            sql.text = """
                UPDATE campaign_recipients SET status = 'pending', scheduled_send_date = \(sql.bind(today)),
                  earlier_message_ids = \(CampaignColumns.appendEarlier), message_id = NULL,
                  updated_at = \(sql.bind(now.millisecondsSince1970))
                WHERE \(conditions.joined(separator: " AND ")) RETURNING seq
                """
            return try await connection.run(sql, logger: logger)
        }
    }

    public func skipPending(_ id: String, reason: SkipReason, now: Date) async throws -> Int {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = """
                UPDATE campaign_recipients SET status = 'skipped', skip_reason = \(sql.bind(reason.rawValue)),
                  updated_at = \(sql.bind(now.millisecondsSince1970))
                WHERE campaign_id = \(sql.bind(id)) AND status = 'pending' RETURNING seq
                """
            return try await connection.run(sql, logger: logger)
        }
    }

    public func addOptOuts(_ optOuts: [OptOut]) async throws {
        guard !optOuts.isEmpty else { return }
        let logger = logger
        try await write { connection in
            var sql = SQL()
            sql.text = """
                INSERT INTO opt_outs (phone, source, keyword, created_at)
                SELECT p, s, NULLIF(k, ''), c FROM UNNEST(\(sql.bind(optOuts.map(\.phone)))::text[], \(sql.bind(optOuts.map(\.source)))::text[],
                  \(sql.bind(optOuts.map { $0.keyword ?? "" }))::text[], \(sql.bind(optOuts.map(\.createdAt.millisecondsSince1970)))::bigint[]) AS t(p, s, k, c)
                ON CONFLICT (phone) DO NOTHING
                """
            try await connection.run(sql, logger: logger)
        }
    }

    public func removeOptOut(_ phone: String) async throws -> Bool {
        let logger = logger
        return try await write { connection in
            var sql = SQL()
            sql.text = "DELETE FROM opt_outs WHERE phone = \(sql.bind(phone)) RETURNING seq"
            return try await connection.run(sql, logger: logger) > 0
        }
    }

    public func optOuts(limit: Int, cursor: Int64?) async throws -> (optOuts: [OptOut], next: Int64?) {
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT * FROM opt_outs WHERE seq < \(sql.bind(cursor ?? Int64.max)) ORDER BY seq DESC LIMIT \(sql.bind(limit + 1))"
            let rows = try await connection.rows(sql, logger: logger)
            let page = try rows.prefix(limit).map { row in
                OptOut(
                    seq: try row.get("seq"), phone: try row.get("phone"), source: try row.get("source"), keyword: try row.get("keyword"),
                    createdAt: Date(millisecondsSince1970: try row.get("created_at")))
            }
            return (page, rows.count > limit ? page.last?.seq : nil)
        }
    }

    public func optedOut(_ phones: [String]) async throws -> Set<String> {
        guard !phones.isEmpty else { return [] }
        let logger = logger
        return try await read { connection in
            var sql = SQL()
            sql.text = "SELECT phone FROM opt_outs WHERE phone = ANY(\(sql.bind(phones))::text[])"
            return Set(try await connection.rows(sql, logger: logger).map { try $0.get("phone", as: String.self) })
        }
    }

    private static func campaign(_ id: String, lock: Bool, _ connection: PostgresConnection, logger: Logger) async throws -> CampaignRecord? {
        var sql = SQL()
        sql.text = "SELECT * FROM campaigns WHERE id = \(sql.bind(id))\(lock ? " FOR UPDATE" : "")"
        return try await connection.rows(sql, logger: logger).first.map(campaign(from:))
    }

    private static func campaign(from row: PostgresRandomAccessRow) throws -> CampaignRecord {
        let from = try row.get("window_from", as: Int?.self)
        let to = try row.get("window_to", as: Int?.self)
        return CampaignRecord(
            id: try row.get("id"), name: try row.get("name"), message: try row.get("message"), senderID: try row.get("sender_id"),
            pool: try row.get("pool"), dailySendLimit: try row.get("daily_send_limit"), startDate: try row.get("start_date"),
            timeZone: try row.get("time_zone"), sendWindow: from.flatMap { from in to.map { SendWindow(from: from, to: $0) } },
            maxRetries: try row.get("max_retries"), status: CampaignStatus(rawValue: try row.get("status")) ?? .paused,
            pauseReason: try row.get("pause_reason"), pauseCode: try row.get("pause_code"), resumedAt: try row.date("resumed_at"),
            imported: try row.get("imported"),
            day: CampaignDay(
                day: try row.get("day"), sent: try row.get("day_sent"), sentScheduled: try row.get("day_sent_scheduled"),
                planned: try row.get("day_planned"), base: try row.get("day_base"), from: try row.date("day_from")),
            createdAt: Date(millisecondsSince1970: try row.get("created_at")), updatedAt: Date(millisecondsSince1970: try row.get("updated_at")))
    }

    private static func write(_ campaign: CampaignRecord, insert: Bool, _ connection: PostgresConnection, logger: Logger) async throws {
        var sql = SQL()
        let values: [(String, String)] = [
            ("name", sql.bind(campaign.name)), ("message", sql.bind(campaign.message)), ("sender_id", sql.bind(campaign.senderID)),
            ("pool", sql.bind(campaign.pool)), ("daily_send_limit", sql.bind(campaign.dailySendLimit)),
            ("start_date", sql.bind(campaign.startDate)), ("time_zone", sql.bind(campaign.timeZone)),
            ("window_from", sql.bind(campaign.sendWindow?.from)), ("window_to", sql.bind(campaign.sendWindow?.to)),
            ("max_retries", sql.bind(campaign.maxRetries)), ("status", sql.bind(campaign.status.rawValue)),
            ("pause_reason", sql.bind(campaign.pauseReason)), ("pause_code", sql.bind(campaign.pauseCode)),
            ("resumed_at", sql.bind(campaign.resumedAt?.millisecondsSince1970)), ("imported", sql.bind(campaign.imported)),
            ("day", sql.bind(campaign.day.day)),
            ("day_sent", sql.bind(campaign.day.sent)), ("day_sent_scheduled", sql.bind(campaign.day.sentScheduled)),
            ("day_planned", sql.bind(campaign.day.planned)), ("day_base", sql.bind(campaign.day.base)),
            ("day_from", sql.bind(campaign.day.from?.millisecondsSince1970)), ("updated_at", sql.bind(campaign.updatedAt.millisecondsSince1970)),
        ]
        let id = sql.bind(campaign.id)
        if insert {
            let created = sql.bind(campaign.createdAt.millisecondsSince1970)
            sql.text = """
                INSERT INTO campaigns (id, created_at, \(values.map(\.0).joined(separator: ", ")))
                VALUES (\(id), \(created), \(values.map(\.1).joined(separator: ", ")))
                """
        } else {
            sql.text = "UPDATE campaigns SET \(values.map { "\($0.0) = \($0.1)" }.joined(separator: ", ")) WHERE id = \(id)"
        }
        try await connection.run(sql, logger: logger)
    }

    private static func recipient(from row: PostgresRandomAccessRow) throws -> CampaignRecipient {
        CampaignRecipient(
            seq: try row.get("seq"), campaignID: try row.get("campaign_id"), phone: try row.get("phone"),
            variables: CampaignColumns.decode(try row.get("variables")),
            status: RecipientStatus(rawValue: try row.get("status")) ?? .pending, sends: try row.get("sends"),
            maxRetries: try row.get("max_retries"), scheduledSendDate: try row.get("scheduled_send_date"),
            messageID: try row.get("message_id", as: String?.self).map(MessageID.init(rawValue:)),
            earlierMessageIDs: CampaignColumns.earlier(try row.get("earlier_message_ids")), errorCode: try row.get("error_code"),
            errorClass: try row.get("error_class", as: String?.self).flatMap(ErrorClass.init(rawValue:)),
            failureReason: try row.get("failure_reason", as: String?.self).flatMap(FailureReason.init(rawValue:)),
            errorTitle: try row.get("error_title"), failedAt: try row.date("failed_at"),
            skipReason: try row.get("skip_reason", as: String?.self).flatMap(SkipReason.init(rawValue:)),
            updatedAt: Date(millisecondsSince1970: try row.get("updated_at")))
    }
}
