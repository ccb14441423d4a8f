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

/// Which transport carries a call: for `openai` and `anthropic` models the
/// one the deployment's connection settings choose
/// (`UpstreamTransportChoice`: libcurl's, or the gateway's own HTTP/1.1
/// client on NIO); the in-process MockTransport for `mock` (one per mock
/// settings, so a catalog's mock models keep their own defaults).
///
/// `@unchecked Sendable`: `http` and `curl` are immutable and thread-safe
/// (they hop to each request's loop), and `mocks` is only touched under its
/// lock; a MockTransport holds only an immutable responder.
package final class TransportRegistry: @unchecked Sendable {
    private let http: HTTP1Transport
    private let curl: CurlTransport
    /// Made on first use; never removed (a catalog has a handful).
    private let mocks = NIOLockedValueBox<[MockKey: MockTransport]>([:])

    private struct MockKey: Hashable {
        let chunks: Int, chunkDelayMs: Int, outputTokens: Int
    }

    init(group: EventLoopGroup) {
        http = HTTP1Transport(group: group, trustRootsFile: HTTP1Transport.environmentTrustRoots)
        curl = CurlTransport(group: group)
    }

    /// On the request path: no lock and no allocation for a real provider.
    func transport(for entry: ModelEntry, deployment: Deployment) -> UpstreamTransport {
        guard entry.provider == .mock else {
            return UpstreamTransportChoice.kind(for: deployment) == .curl ? curl : http
        }
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
        curl.shutdown()
    }
}
