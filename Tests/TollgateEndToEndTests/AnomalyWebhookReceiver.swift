import Foundation

/// A webhook receiver for the alert tests: a plain HTTP/1.1 server on
/// 127.0.0.1 (port chosen by the OS) in the test process that records each
/// POST, answers with `status`, and can hold requests unanswered until the
/// test releases them (a hung receiver).
final class AnomalyWebhookReceiver: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let condition = NSCondition()
    private var bodies: [[String: Any]] = []
    private var answerStatus: Int
    private var holding = false

    init(status: Int = 200) throws {
        answerStatus = status
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestFailure("socket() failed") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw TestFailure("bind/listen failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: addr.sin_port))
        let acceptor = Thread { [self] in acceptLoop() }
        acceptor.start()
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    /// The label the gateway's alert metrics carry for this receiver.
    var sinkLabel: String { "webhook:127.0.0.1:\(port)" }

    /// Every POST body received so far (held ones included).
    var received: [[String: Any]] { condition.withLock { bodies } }

    /// Holds every request unanswered until `release()`.
    func hold() { condition.withLock { holding = true } }

    func release() {
        condition.withLock {
            holding = false
            condition.broadcast()
        }
    }

    /// Waits (at most `timeout`) until `count` requests arrived; returns
    /// what arrived.
    @discardableResult
    func waitForRequests(_ count: Int, timeout: TimeInterval = 30) -> [[String: Any]] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return condition.withLock {
            while bodies.count < count { if !condition.wait(until: deadline) { break } }
            return bodies
        }
    }

    func stop() {
        release()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            Thread { [self] in serve(connection) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headEnd: Int?
        var contentLength = 0
        while true {
            if let end = headEnd, data.count >= end + contentLength { break }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            data.append(contentsOf: buffer[0..<n])
            if headEnd == nil, let range = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                headEnd = range.upperBound
                let head = String(decoding: data[0..<range.lowerBound], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let body = Array(data[headEnd!..<(headEnd! + contentLength)])
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? ["unparsed": String(decoding: body, as: UTF8.self)]
        let status: Int = condition.withLock {
            bodies.append(json)
            condition.broadcast()
            while holding { condition.wait() }
            return answerStatus
        }
        let answer = "HTTP/1.1 \(status) Test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        _ = Array(answer.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
