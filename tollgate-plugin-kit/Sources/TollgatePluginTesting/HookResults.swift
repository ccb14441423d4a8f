import TollgatePluginKit

/// What a plugin's pre_call returned and set.
public struct PreCallResult {
    /// The verdict, nil if the plugin returned a value the ABI does not
    /// define (see `rawVerdict`).
    public var verdict: PreCallVerdict?
    public var rawVerdict: Int32
    public var error: FakeCall.ErrorDetails?
    public var response: FakeCall.Response?
}

/// What a plugin's on_chunk returned and left in the event.
public struct ChunkResult {
    public var verdict: ChunkVerdict?
    public var rawVerdict: Int32
    /// The event's text and raw bytes after the plugin (unchanged unless it
    /// set them).
    public var text: String
    public var raw: String
    public var textReplaced: Bool
    public var rawReplaced: Bool
    public var error: FakeCall.ErrorDetails?
}

/// What a plugin's post_call returned (only logged by the real host).
public struct PostCallResult {
    public var status: HostStatus
}
