import NIOCore
import NIOHTTP1
import NIOPosix
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// A blocking POST through an HTTP transport of its own, on its own
/// event-loop thread, created at the first alert: deliberately not the
/// upstream transport, so a slow receiver never shares a thread with
/// provider traffic. Keep-alive connections to a receiver are reused.
package final class HTTPWebhookPoster: WebhookPoster {
    private var group: MultiThreadedEventLoopGroup?
    private var transport: HTTP1Transport?

    private func makeTransport() -> (HTTP1Transport, EventLoop) {
        if let transport, let group { return (transport, group.next()) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = HTTP1Transport(group: group, trustRootsFile: HTTP1Transport.environmentTrustRoots)
        self.group = group
        self.transport = transport
        return (transport, group.next())
    }

    package func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult {
        var fields: [(String, String)] = [("content-type", "application/json"), ("user-agent", "tollgate-alerts")]
        for (name, value) in headers {
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        let bound = Int64(max(1, timeoutMs))
        let (transport, loop) = makeTransport()
        let request = UpstreamRequest(url: url, method: "POST", headers: fields, body: body,
                                      connectTimeoutMs: bound, firstByteTimeoutMs: bound, idleTimeoutMs: bound)
        let answer = WebhookAnswer(promise: loop.makePromise())
        let transfer = transport.start(request, on: loop, delegate: answer)
        // One bound for the whole exchange, connecting included.
        let deadline = loop.scheduleTask(in: .milliseconds(bound)) {
            transfer.cancel()
            answer.settle(.transportError("no answer within \(timeoutMs) ms"))
        }
        let result = (try? answer.promise.futureResult.wait()) ?? .transportError("the webhook client stopped")
        deadline.cancel()
        return result
    }

    package func close() {
        transport?.shutdown()
        try? group?.syncShutdownGracefully()
        transport = nil
        group = nil
    }
}

/// Collects a webhook's status; its body is read and dropped. On the poster's loop.
private final class WebhookAnswer: UpstreamDelegate, @unchecked Sendable {
    let promise: EventLoopPromise<WebhookAttemptResult>
    private var status: Int?
    private var settled = false

    init(promise: EventLoopPromise<WebhookAttemptResult>) { self.promise = promise }

    func settle(_ result: WebhookAttemptResult) {
        guard !settled else { return }
        settled = true
        promise.succeed(result)
    }

    func upstreamDidReceiveHead(status: Int, headers: [(String, String)]) { self.status = status }
    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {}

    func upstreamDidFinish(_ failure: UpstreamFailure?) {
        if let failure {
            switch failure {
            case .connectTimeout, .firstByteTimeout, .idleTimeout: settle(.transportError("no answer in time (\(failure))"))
            default: settle(.transportError(failure.description))
            }
        } else {
            settle(.status(status ?? 0))
        }
    }
}
