import Synchronization
import Testing

@testable import PigeonCore

/// Group commit: concurrent callers share flushes, each gets its own result, and nobody is answered before
/// the flush that holds its input returned.
@Suite struct GroupCommitTests {
    @Test func concurrentCallersShareFlushesAndEachGetsItsOwnResult() async throws {
        let flushes = Mutex<[[Int]]>([])
        let commits = GroupCommit<Int, Int>(maxBatch: 8) { batch in
            flushes.withLock { $0.append(batch) }
            try? await Task.sleep(for: .milliseconds(5))
            return batch.map { $0 % 7 == 0 ? .failure(FlushTestError()) : .success($0 * 10) }
        }
        let results = await withTaskGroup(of: (Int, Int?).self) { group in
            for input in 1...50 { group.addTask { (input, try? await commits.perform(input)) } }
            var results: [Int: Int?] = [:]
            for await (input, result) in group { results[input] = result }
            return results
        }
        for input in 1...50 { #expect(results[input] == (input % 7 == 0 ? nil : input * 10)) }
        let batches = flushes.withLock { $0 }
        #expect(batches.flatMap { $0 }.sorted() == Array(1...50), "every input flushed exactly once")
        #expect(batches.allSatisfy { $0.count <= 8 })
        #expect(batches.count < 50, "callers waiting during a flush share the next one")
    }
}

private struct FlushTestError: Error {}
