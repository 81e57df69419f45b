import Foundation
import PigeonCore
import PigeonTestSupport
import Testing

/// One leader among the stores sharing a database, and notifications of new work, on every store.
@Suite struct LeaderConformanceTests {
    @Test(arguments: StoreKind.available) func oneStoreLeadsAtATimeAndAnotherTakesOverWhenItResigns(_ kind: StoreKind) async throws {
        try await TemporaryDatabase.run(kind) { database in
            let first = try await database.open()
            let second = try await database.open()
            let third = try await database.open()
            #expect(try await first.holdsLead())
            #expect(try await first.holdsLead(), "the leader lost the lead by asking again")
            #expect(try await !second.holdsLead())
            #expect(try await !third.holdsLead())
            await first.resignLead()
            let next = [try await second.holdsLead(), try await third.holdsLead()]
            #expect(next == [true, false], "no store, or two, took over: \(next)")
            #expect(try await !first.holdsLead())
        }
    }

    @Test(arguments: StoreKind.available) func anEnqueueOnOneStoreNotifiesTheOthers(_ kind: StoreKind) async throws {
        guard kind == .postgres else { return }  // one SQLite file: processes poll
        try await TemporaryDatabase.run(kind) { database in
            let listening = try #require(try await database.open() as? any WorkNotifications)
            let writer = try await database.open()
            let heard = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for await _ in listening.workNotifications() { return true }
                    return false
                }
                group.addTask {
                    // The listener connects first; enqueue until it hears one (each enqueue notifies).
                    for _ in 0..<50 {
                        _ = try await writer.enqueue([newMessage()], now: t0)
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(heard, "no notification within 5 s of enqueues on another store")
        }
    }
}
