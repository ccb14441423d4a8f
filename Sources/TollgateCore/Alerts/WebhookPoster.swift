import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one webhook POST and waits for the answer. The sink's worker
/// thread is its only caller; tests put a fake in its place.
public protocol WebhookPoster: AnyObject {
    func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult
    /// The sink's worker is done with it: release connections and threads.
    func close()
}

extension WebhookPoster {
    public func close() {}
}

/// A blocking POST through an HTTP client of its own, on its own event-loop
/// thread, created at the first alert: deliberately not the upstream
/// transport, so a slow receiver never shares a thread with provider
/// traffic. Keep-alive connections to a receiver are reused.
final class HTTPWebhookPoster: WebhookPoster {
    private var group: MultiThreadedEventLoopGroup?
    private var client: HTTPClient?

    private func makeClient() -> HTTPClient {
        if let client { return client }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        self.group = group
        self.client = client
        return client
    }

    func post(url: String, body: [UInt8], headers: [(String, String)], timeoutMs: Int) -> WebhookAttemptResult {
        var fields = HTTPHeaders([("content-type", "application/json"), ("user-agent", "tollgate-alerts")])
        for (name, value) in headers { fields.replaceOrAdd(name: name, value: value) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .POST, headers: fields, body: .bytes(body))
        } catch {
            return .transportError("the url \(url) is not usable: \(error)")
        }
        // One bound for the whole exchange, connecting included.
        let deadline = NIODeadline.now() + .milliseconds(Int64(max(1, timeoutMs)))
        do {
            let response = try makeClient().execute(request: request, deadline: deadline).wait()
            return .status(Int(response.status.code))
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .transportError("no answer within \(timeoutMs) ms")
        } catch {
            return .transportError("\(error)")
        }
    }

    func close() {
        try? client?.syncShutdown()
        try? group?.syncShutdownGracefully()
        client = nil
        group = nil
    }
}
