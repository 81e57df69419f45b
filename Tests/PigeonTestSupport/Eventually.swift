import Testing

/// Waits (at most `timeout`, looking every `poll`) until `condition` holds, for what happens outside the
/// test's control: a webhook arriving, a child process acting. Records an issue naming `what` when it does
/// not. Never used to wait for a retry: time is injected for those.
public func eventually(
    _ what: String, timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: poll)
    }
    if try await condition() { return }
    Issue.record("\(what) did not happen within \(timeout)")
}
