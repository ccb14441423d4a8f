/// How a call ended: the values of TOLLGATE_PROP_OUTCOME, readable in
/// on_post_call. The raw values are the ABI's strings; the header says what
/// each one means.
public enum CallOutcome: String, Sendable, CaseIterable {
    /// The upstream answered 2xx and the answer was handed to the kernel.
    case success
    /// The upstream answered with a non-2xx status (passed through).
    case upstreamError = "upstream_error"
    /// The upstream could not be reached, timed out, or broke the stream.
    case upstreamFailure = "upstream_failure"
    /// A plugin or the core refused the call.
    case rejected
    /// A plugin answered the call itself.
    case responded
    /// The client went away before the end.
    case clientDisconnect = "client_disconnect"
    /// A plugin aborted the response, or the core cut the call because the
    /// gateway shut down past its grace period (decided by "core").
    case aborted
}
