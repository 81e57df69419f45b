import Foundation
import Hummingbird
import PigeonCore
import PigeonEngine

/// `/v1/campaigns`: create, list and read campaigns with their counters, start, pause, resume and cancel
/// them, import recipients (CSV streamed in bounded memory, or JSON), list and export them, and re-arm
/// failed ones; `/v1/opt-outs`: the numbers campaigns never message.
struct CampaignRoutes {
    let campaigns: CampaignService
    let clock: any PigeonClock

    /// Largest campaign request body (256 KiB).
    static let maxBodyBytes = 256 * 1024
    /// Largest JSON recipient import (64 MiB; CSV has no limit).
    static let maxJSONImportBytes = 64 * 1024 * 1024
    /// Most import errors listed in an answer.
    static let maxListedErrors = 100

    func register(on router: Router<PigeonRequestContext>) {
        router.post("/v1/campaigns") { request, _ in
            let draft = try CampaignRequestValidator.draft(json: try await RequestBody.json(request, limit: Self.maxBodyBytes))
            return try await view(try await campaigns.create(draft), status: .created)
        }
        router.get("/v1/campaigns") { request, _ in
            let (limit, cursor) = try MessageRoutes.pagination(request.uri.queryParameters)
            let page = try await campaigns.campaigns(limit: limit, cursor: cursor)
            var views: [Any] = []
            for campaign in page.campaigns { views.append(try await body(campaign)) }
            return JSONBody.response(["campaigns": views, "next_cursor": page.next.map { String($0) } ?? NSNull()])
        }
        router.get("/v1/campaigns/:id") { _, context in try await view(try await existing(context)) }
        for action in [CampaignAction.start, .pause, .resume, .cancel] {
            router.post("/v1/campaigns/:id/\(action.rawValue)") { _, context in
                let campaign = try await existing(context)
                do {
                    guard let changed = try await campaigns.act(action, on: campaign.id) else { throw notFound(campaign.id) }
                    return try await view(changed)
                } catch let refusal as CampaignRefusal {
                    throw APIError(.conflict, "invalid_state", refusal.message)
                }
            }
        }
        router.post("/v1/campaigns/:id/recipients") { request, context in try await importRecipients(request, context) }
        router.get("/v1/campaigns/:id/recipients") { request, context in
            let campaign = try await existing(context)
            let query = request.uri.queryParameters
            let (limit, cursor) = try MessageRoutes.pagination(query)
            let page = try await campaigns.recipients(of: campaign.id, status: try status(query.get("status")), limit: limit, cursor: cursor)
            return JSONBody.response([
                "recipients": page.recipients.map(Self.recipientView), "next_cursor": page.next.map { String($0) } ?? NSNull(),
            ])
        }
        router.get("/v1/campaigns/:id/recipients.csv") { _, context in
            try await Self.export(try await existing(context), status: nil, from: campaigns)
        }
        router.post("/v1/campaigns/:id/recipients/retry") { request, context in
            let campaign = try await existing(context)
            let bytes = try await RequestBody.json(request, limit: Self.maxBodyBytes, optional: true)
            let filter = try Self.filter(bytes.isEmpty ? [:] : try RequestBody.object(bytes))
            return JSONBody.response(["rearmed": try await campaigns.rearm(campaign, matching: filter)])
        }
        router.get("/v1/opt-outs") { request, _ in
            let (limit, cursor) = try MessageRoutes.pagination(request.uri.queryParameters)
            let page = try await campaigns.optOuts(limit: limit, cursor: cursor)
            return JSONBody.response([
                "opt_outs": page.optOuts.map { optOut -> [String: Any] in
                    [
                        "phone": optOut.phone, "source": optOut.source, "keyword": JSONBody.value(optOut.keyword),
                        "created_at": JSONBody.date(optOut.createdAt),
                    ]
                },
                "next_cursor": page.next.map { String($0) } ?? NSNull(),
            ])
        }
        router.post("/v1/opt-outs") { request, _ in
            let body = try RequestBody.object(try await RequestBody.json(request, limit: Self.maxBodyBytes))
            if let unknown = body.keys.sorted().first(where: { $0 != "phone" }) {
                throw APIError(.badRequest, "unknown_field", "\(unknown) is not a field; send {\"phone\": \"+15550001111\"}")
            }
            guard let text = body["phone"] as? String else {
                throw APIError(.badRequest, "missing_phone", "phone is required: the number to opt out, such as \"+15550001111\"")
            }
            let phone = try PhoneNumber.normalize(text)
            try await campaigns.optOut(phone, source: "operator")
            return JSONBody.response(["phone": phone, "opted_out": true], status: .created)
        }
        router.delete("/v1/opt-outs/:phone") { _, context in
            let raw = context.parameters.get("phone") ?? ""
            let phone = try PhoneNumber.normalize(raw.removingPercentEncoding ?? raw)
            guard try await campaigns.removeOptOut(phone) else {
                throw APIError(.notFound, "not_found", "\(phone) is not on the opt-out list")
            }
            return Response(status: .noContent)
        }
    }

    private func existing(_ context: PigeonRequestContext) async throws -> CampaignRecord {
        let id = context.parameters.get("id") ?? ""
        guard let campaign = try await campaigns.campaign(id) else { throw notFound(id) }
        return campaign
    }

    private func notFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "no campaign has the id \(id); list them with GET /v1/campaigns")
    }

    private func status(_ text: String?) throws -> RecipientStatus? {
        guard let text else { return nil }
        guard let status = RecipientStatus(rawValue: text) else {
            throw APIError(.badRequest, "invalid_status", "status must be one of \(RecipientStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }

    /// The re-arm filter: the same fields as `POST /v1/messages/retry`.
    private static func filter(_ body: [String: Any]) throws -> RecipientFilter {
        let filter = try OperatorRoutes.retryFilter(body)
        return RecipientFilter(errorCode: filter.errorCode, errorClass: filter.errorClass, since: filter.since)
    }

    private func view(_ campaign: CampaignRecord, status: HTTPResponse.Status = .ok) async throws -> Response {
        JSONBody.response(try await body(campaign), status: status)
    }

    /// A campaign as the API shows it, with its counters.
    private func body(_ campaign: CampaignRecord) async throws -> [String: Any] {
        let counts = try await campaigns.counts(campaign.id)
        let today = campaign.calendar.day(clock.now())
        let sentToday = campaign.day.day == today ? campaign.day.sent : 0
        var view: [String: Any] = [
            "id": campaign.id, "name": campaign.name,
            "message": (try? JSONSerialization.jsonObject(with: Data(campaign.message.utf8))) ?? [:],
            "sender_id": JSONBody.value(campaign.senderID), "sender_pool": JSONBody.value(campaign.pool),
            "daily_send_limit": campaign.dailySendLimit, "start_date": campaign.startDate, "time_zone": campaign.timeZone,
            "send_window": campaign.sendWindow.map { ["from": SendWindow.text($0.from), "to": SendWindow.text($0.to)] } ?? NSNull(),
            "max_retries": campaign.maxRetries, "status": campaign.status.rawValue, "pause_reason": JSONBody.value(campaign.pauseReason),
            "pause_code": JSONBody.value(campaign.pauseCode),
            "recipients": counts.total, "retries_scheduled": counts.retriesScheduled, "sent_today": sentToday,
            "remaining_today": max(0, campaign.dailySendLimit - sentToday),
            "failed_by_error_code": counts.failedByCode.sorted { ($0.key ?? -1) < ($1.key ?? -1) }.map { code, count in
                ["error_code": JSONBody.value(code), "count": count] as [String: Any]
            },
            "created_at": JSONBody.date(campaign.createdAt), "updated_at": JSONBody.date(campaign.updatedAt),
        ]
        for status in RecipientStatus.allCases { view[status.rawValue] = counts.byStatus[status] ?? 0 }
        return view
    }

    static func recipientView(_ recipient: CampaignRecipient) -> [String: Any] {
        [
            "phone": recipient.phone, "variables": recipient.variables, "status": recipient.status.rawValue,
            "retry_count": recipient.retryCount, "max_retries": recipient.maxRetries, "scheduled_send_date": recipient.scheduledSendDate,
            "failure_reason": JSONBody.value(recipient.failureReason?.rawValue), "error_code": JSONBody.value(recipient.errorCode),
            "error_class": JSONBody.value(recipient.errorClass?.rawValue), "error_title": JSONBody.value(recipient.errorTitle),
            "failed_at": JSONBody.date(recipient.failedAt), "skip_reason": JSONBody.value(recipient.skipReason?.rawValue),
            "message_id": JSONBody.value(recipient.messageID?.rawValue), "earlier_message_ids": recipient.earlierMessageIDs.map(\.rawValue),
        ]
    }

    /// Imports CSV (streamed: rows are stored in batches as they arrive) or JSON recipients.
    private func importRecipients(_ request: Request, _ context: PigeonRequestContext) async throws -> Response {
        let campaign = try await existing(context)
        guard campaign.status != .cancelled else {
            throw APIError(.conflict, "invalid_state", "the campaign is cancelled; create a new one for these recipients")
        }
        var tally = ImportTally()
        let placeholders = campaigns.placeholders(of: campaign)
        let contentType = request.headers[.contentType]?.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        switch contentType {
        case "text/csv":
            var reader = CSVRows()
            var header: [String]?
            var batch: [(line: Int, fields: [String])] = []
            for try await buffer in request.body {
                for row in reader.push(buffer.readableBytesView) {
                    guard let columns = header else {
                        header = try Self.header(row.fields)
                        continue
                    }
                    batch.append(row)
                    if batch.count >= CampaignService.importBatch {
                        try await store(batch, columns: columns, into: campaign, placeholders: placeholders, &tally)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
            }
            let last = reader.finish()
            if header == nil, let first = last.first { header = try Self.header(first.fields) }
            guard let columns = header else {
                throw APIError(.badRequest, "empty_body", "the CSV is empty; send a header line with a phone column, then one line per recipient")
            }
            batch += last.filter { $0.line > 1 }
            try await store(batch, columns: columns, into: campaign, placeholders: placeholders, &tally)
        case "application/json":
            let body = try RequestBody.object(try await RequestBody.json(request, limit: Self.maxJSONImportBytes))
            guard body.count == 1, let items = body["recipients"] as? [Any] else {
                throw APIError(
                    .badRequest, "invalid_body", "send {\"recipients\": [{\"phone\": \"+15550001111\", \"variables\": {\"name\": \"Ana\"}}, …]}")
            }
            var recipients: [(index: Int, recipient: NewRecipient)] = []
            for (index, item) in items.enumerated() {
                do {
                    recipients.append((index, try jsonRecipient(item, placeholders: placeholders)))
                } catch {
                    tally.invalid(line: index, error.message)
                }
                if recipients.count >= CampaignService.importBatch {
                    try await add(recipients.map(\.recipient), to: campaign, &tally)
                    recipients.removeAll(keepingCapacity: true)
                }
            }
            try await add(recipients.map(\.recipient), to: campaign, &tally)
        default:
            throw APIError(
                .unsupportedMediaType, "unsupported_content_type",
                "send recipients as Content-Type: text/csv (a phone column and one column per variable) or application/json")
        }
        return JSONBody.response(
            ["added": tally.added, "duplicates": tally.duplicates, "invalid": tally.errors, "invalid_count": tally.invalidCount])
    }

    /// The header's columns: one `phone` column and variable names.
    private static func header(_ fields: [String]) throws -> [String] {
        let columns = fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.filter({ $0.lowercased() == "phone" }).count == 1 else {
            throw APIError(.badRequest, "missing_phone_column", "line 1 must be a header with one phone column, such as: phone,name")
        }
        for column in columns where column.lowercased() != "phone" && !Placeholders.isName(column) {
            throw APIError(
                .badRequest, "invalid_column", "column \"\(column)\" is not a variable name: use 1 to 64 letters, digits or _")
        }
        return columns
    }

    private func store(
        _ rows: [(line: Int, fields: [String])], columns: [String], into campaign: CampaignRecord, placeholders: Set<String>,
        _ tally: inout ImportTally
    ) async throws {
        var recipients: [NewRecipient] = []
        recipients.reserveCapacity(rows.count)
        let phoneColumn = columns.firstIndex { $0.lowercased() == "phone" }!
        for row in rows {
            guard row.fields.count == columns.count else {
                tally.invalid(line: row.line, "has \(row.fields.count) fields; the header has \(columns.count)")
                continue
            }
            var variables: [String: String] = [:]
            for (index, column) in columns.enumerated() where index != phoneColumn { variables[column] = row.fields[index] }
            do {
                recipients.append(try campaigns.recipient(phone: row.fields[phoneColumn], variables: variables, placeholders: placeholders))
            } catch {
                tally.invalid(line: row.line, error.message)
            }
        }
        try await add(recipients, to: campaign, &tally)
    }

    private func add(_ recipients: [NewRecipient], to campaign: CampaignRecord, _ tally: inout ImportTally) async throws {
        guard let results = try await campaigns.add(recipients, to: campaign) else { throw notFound(campaign.id) }
        let added = results.filter { $0 }.count
        tally.added += added
        tally.duplicates += results.count - added
    }

    private func jsonRecipient(_ item: Any, placeholders: Set<String>) throws(ValidationError) -> NewRecipient {
        guard let object = item as? [String: Any], let phone = object["phone"] as? String else {
            throw ValidationError("invalid_recipient", "must be an object with a phone, such as {\"phone\": \"+15550001111\"}")
        }
        if let unknown = object.keys.sorted().first(where: { $0 != "phone" && $0 != "variables" }) {
            throw ValidationError("unknown_field", "\(unknown) is not a recipient field; use phone and variables")
        }
        var variables: [String: String] = [:]
        if let given = object["variables"] {
            guard let dictionary = given as? [String: Any] else {
                throw ValidationError("invalid_variables", "variables must be an object of names to texts")
            }
            for (name, value) in dictionary {
                guard let text = value as? String ?? (value as? NSNumber).map({ "\($0)" }), !CanonicalJSON.isBoolean(value) else {
                    throw ValidationError("invalid_variables", "variables.\(name) must be a text or a number")
                }
                variables[name] = text
            }
        }
        return try campaigns.recipient(phone: phone, variables: variables, placeholders: placeholders)
    }

    /// Every recipient (or those in `status`) as CSV, page by page as it is written.
    static func export(_ campaign: CampaignRecord, status: RecipientStatus?, from campaigns: CampaignService) async throws -> Response {
        let body = ResponseBody { writer in
            try await writer.write(
                ByteBuffer(
                    string:
                        "phone,status,retry_count,max_retries,scheduled_send_date,error_code,failure_reason,failed_at,message_id,earlier_message_ids\n"
                ))
            var cursor: Int64?
            repeat {
                let page = try await campaigns.recipients(of: campaign.id, status: status, limit: 1000, cursor: cursor)
                var text = ""
                for recipient in page.recipients {
                    let fields: [String] = [
                        recipient.phone, recipient.status.rawValue, "\(recipient.retryCount)", "\(recipient.maxRetries)",
                        recipient.scheduledSendDate, recipient.errorCode.map(String.init) ?? "",
                        recipient.failureReason?.rawValue ?? recipient.skipReason?.rawValue ?? "",
                        recipient.failedAt.map { JSONBody.date($0) as? String ?? "" } ?? "", recipient.messageID?.rawValue ?? "",
                        recipient.earlierMessageIDs.map(\.rawValue).joined(separator: " "),
                    ]
                    text += fields.map(Self.csvField).joined(separator: ",") + "\n"
                }
                try await writer.write(ByteBuffer(string: text))
                cursor = page.next
            } while cursor != nil
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(campaign.id)-\(status.map { "\($0.rawValue)-" } ?? "")recipients.csv\""
        return Response(status: .ok, headers: headers, body: body)
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// What an import did so far.
private struct ImportTally {
    var added = 0
    var duplicates = 0
    var invalidCount = 0
    var errors: [[String: Any]] = []

    mutating func invalid(line: Int, _ message: String) {
        invalidCount += 1
        if errors.count < CampaignRoutes.maxListedErrors { errors.append(["line": line, "error": message]) }
    }
}
