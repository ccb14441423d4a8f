import NIOConcurrencyHelpers
import NIOCore
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Which transport carries a call, by the kind of provider that serves the
/// model: the gateway's own HTTP/1.1 client for `openai` and `anthropic`,
/// the in-process MockTransport for `mock` (one per mock settings, so a
/// catalog's mock models keep their own defaults). A libcurl transport
/// takes its place here, not in the proxy.
///
/// `@unchecked Sendable`: `http` is immutable and thread-safe (it hops to
/// each request's loop), and `mocks` is only touched under its lock; a
/// MockTransport holds only an immutable responder.
package final class TransportRegistry: @unchecked Sendable {
    private let http: HTTP1Transport
    /// Made on first use; never removed (a catalog has a handful).
    private let mocks = NIOLockedValueBox<[MockKey: MockTransport]>([:])

    private struct MockKey: Hashable {
        let chunks: Int, chunkDelayMs: Int, outputTokens: Int
    }

    init(group: EventLoopGroup) {
        http = HTTP1Transport(group: group, trustRootsFile: HTTP1Transport.environmentTrustRoots)
    }

    /// On the request path: no lock and no allocation for a real provider.
    func transport(for entry: ModelEntry) -> UpstreamTransport {
        guard entry.provider == .mock else { return http }
        let key = MockKey(chunks: entry.mock.chunks, chunkDelayMs: entry.mock.chunkDelayMs, outputTokens: entry.mock.outputTokens)
        return mocks.withLockedValue { mocks in
            if let made = mocks[key] { return made }
            let made = MockTransport(defaults: MockDirectives(chunks: entry.mock.chunks, chunkDelayMs: entry.mock.chunkDelayMs,
                                                              outputTokens: entry.mock.outputTokens))
            mocks[key] = made
            return made
        }
    }

    /// Closes the upstream connections (their transfers end at once).
    /// Blocks: not on an event loop.
    func shutdown() {
        http.shutdown()
    }
}
