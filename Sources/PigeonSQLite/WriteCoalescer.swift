import GRDB
import PigeonCore

/// Group commit on SQLite: concurrent writes are committed together in one immediate transaction on the
/// single writer connection (`GroupCommit` gathers them and picks the caller that commits).
///
/// Each piece of work runs in its own savepoint, so one failing write does not undo the others, and
/// nobody is answered before the commit.
final class WriteCoalescer: Sendable {
    /// The most pieces of work committed in one transaction.
    static let maxBatch = 4096

    /// One caller's work; its value is handed back to the caller, who knows its type.
    typealias Work = @Sendable (Database) throws -> any Sendable

    private let commits: GroupCommit<Work, any Sendable>

    init(writer: DatabasePool) {
        commits = GroupCommit(maxBatch: Self.maxBatch) { batch in
            do {
                return try await writer.writeWithoutTransaction { db in
                    var results: [Result<any Sendable, any Error>] = []
                    results.reserveCapacity(batch.count)
                    try db.inTransaction(.immediate) {
                        results.removeAll(keepingCapacity: true)
                        for work in batch { results.append(Self.run(work, db)) }
                        return .commit
                    }
                    return results
                }
            } catch {
                return batch.map { _ in .failure(error) }
            }
        }
    }

    /// Runs `work` in the next group transaction and returns its result after the commit.
    func perform<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await commits.perform { db in try work(db) } as! T
    }

    /// Runs one caller's work in a savepoint of its own: its failure undoes only its own writes.
    private static func run(_ work: Work, _ db: Database) -> Result<any Sendable, any Error> {
        Result {
            var value: (any Sendable)?
            try db.inSavepoint {
                value = try work(db)
                return .commit
            }
            return value!
        }
    }
}
