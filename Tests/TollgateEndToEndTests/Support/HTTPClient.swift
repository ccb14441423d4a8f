import Foundation

/// A blocking HTTP/1.1 client over a plain socket: enough for tests to see
/// exact bytes, read a stream piece by piece, and hang up mid-stream.
struct HTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestFailure("body is not a JSON object: \(text)")
        }
        return object
    }
}

final class HTTPConnection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, host: String = "127.0.0.1", timeout: TimeInterval = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw TestFailure("connect to \(host):\(port) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "content-length: \(body.count)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8) + body)
    }

    func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false at EOF.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        guard n > 0 else { throw TestFailure("recv failed: errno \(errno)") }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { throw TestFailure("connection closed while reading a line") }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw TestFailure("connection closed with \(count - buffer.count) bytes missing") }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    func readHead() throws -> (status: Int, headers: [(String, String)]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw TestFailure("bad status line: \(statusLine)") }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]).lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return (status, headers)
    }

    /// Reads until the peer closes the connection (or resets it) and
    /// returns what arrived first; throws when the receive timeout passes
    /// with the connection still open.
    func readUntilClosed() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                continue
            }
            let error = errno
            if n == 0 || error == ECONNRESET { break }
            throw TestFailure(error == EAGAIN ? "the connection is still open" : "recv failed: errno \(error)")
        }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Reads a whole response (content-length, chunked, or until close).
    func readResponse(onChunk: (([UInt8]) -> Bool)? = nil) throws -> HTTPResponse {
        let (status, headers) = try readHead()
        let h = { (name: String) in headers.first { $0.0 == name }?.1 }
        var body: [UInt8] = []
        if let length = h("content-length").flatMap(Int.init) {
            body = try readExactly(length)
        } else if h("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw TestFailure("bad chunk size") }
                if size == 0 {
                    _ = try readLine()
                    break
                }
                let chunk = try readExactly(size)
                _ = try readLine()
                body.append(contentsOf: chunk)
                if let onChunk, !onChunk(chunk) { return HTTPResponse(status: status, headers: headers, body: body) }
            }
        } else {
            while try fill() {}
            body = buffer
            buffer.removeAll()
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}

enum HTTP {
    static func request(port: Int, method: String = "POST", path: String, headers: [(String, String)] = [],
                        body: [UInt8] = []) throws -> HTTPResponse {
        let connection = try HTTPConnection(port: port)
        try connection.send(method: method, path: path, headers: headers, body: body)
        return try connection.readResponse()
    }

    static func postJSON(port: Int, path: String, key: String?, json: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        var all: [(String, String)] = [("content-type", "application/json")]
        if let key { all.append(("authorization", "Bearer \(key)")) }
        all.append(contentsOf: headers)
        return try request(port: port, path: path, headers: all, body: Array(json.utf8))
    }
}

/// Splits an SSE body into its data payloads (for assertions).
enum SSE {
    static func dataLines(_ body: [UInt8]) -> [String] {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n")
            .filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }

    static func eventNames(_ body: [UInt8]) -> [String] {
        String(decoding: body, as: UTF8.self).components(separatedBy: "\n")
            .filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
    }
}
