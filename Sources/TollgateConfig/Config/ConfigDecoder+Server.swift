import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

extension ConfigDecoder {
    func decodeServer(_ node: YAMLNode?) -> ServerConfig {
        var server = ServerConfig()
        guard let node, let f = fields(node, context: "server", expected: "the server settings (a mapping)",
                                       allowed: ["listen", "master_key_env", "max_body_bytes", "timeouts", "retries",
                                                 "header_timeout_ms", "idle_timeout_ms", "max_connections"]) else {
            return server
        }
        if let listen = f["listen"], let text = string(listen, expected: "host:port") {
            if let (host, port) = Self.hostAndPort(text) {
                server.host = host
                server.port = port
            } else {
                fail(listen, "listen must be host:port, e.g. 127.0.0.1:4000 or [::1]:4000 (port 0-65535), got '\(text)'")
            }
        }
        if let env = f["master_key_env"] { server.masterKeyEnv = environmentName(env, what: "master_key_env") }
        if let max = f["max_body_bytes"],
           let value = integer(max, expected: "max_body_bytes (a size in bytes)", range: 1...Int64(Int32.max)) {
            server.maxBodyBytes = Int(value)
        }
        if let n = f["header_timeout_ms"],
           let v = integer(n, expected: "header_timeout_ms (milliseconds)", range: 1...3_600_000) {
            server.clients.headerTimeoutMs = v
        }
        if let n = f["idle_timeout_ms"], let v = integer(n, expected: "idle_timeout_ms (milliseconds)", range: 1...86_400_000) {
            server.clients.idleTimeoutMs = v
        }
        if let n = f["max_connections"], let v = integer(n, expected: "max_connections (1 to 1000000)", range: 1...1_000_000) {
            server.clients.maxConnections = Int(v)
        }
        if let timeouts = f["timeouts"],
           let t = fields(timeouts, context: "server.timeouts", expected: "upstream timeouts (a mapping)",
                          allowed: ["connect_ms", "first_byte_ms", "idle_ms"]) {
            let ms: ClosedRange<Int64> = 1...86_400_000
            if let n = t["connect_ms"], let v = integer(n, expected: "connect_ms (milliseconds)", range: ms) {
                server.timeouts.connectMs = v
            }
            if let n = t["first_byte_ms"], let v = integer(n, expected: "first_byte_ms (milliseconds)", range: ms) {
                server.timeouts.firstByteMs = v
            }
            if let n = t["idle_ms"], let v = integer(n, expected: "idle_ms (milliseconds)", range: ms) {
                server.timeouts.idleMs = v
            }
        }
        if let retries = f["retries"],
           let r = fields(retries, context: "server.retries", expected: "retry settings (a mapping)",
                          allowed: ["max_attempts", "cooldown_after_failures", "cooldown_seconds"]) {
            if let n = r["max_attempts"], let v = integer(n, expected: "max_attempts (1 to 10)", range: 1...10) {
                server.retries.maxAttempts = Int(v)
            }
            if let n = r["cooldown_after_failures"],
               let v = integer(n, expected: "cooldown_after_failures (1 to 1000)", range: 1...1000) {
                server.retries.cooldownAfterFailures = Int(v)
            }
            if let n = r["cooldown_seconds"], let v = integer(n, expected: "cooldown_seconds (0 to 86400)", range: 0...86_400) {
                server.retries.cooldownSeconds = v
            }
        }
        return server
    }

    /// "127.0.0.1:4000", "localhost:4000", "[::1]:4000" (host returned
    /// without brackets). A bare IPv6 address without brackets is refused:
    /// its last colon is ambiguous.
    static func hostAndPort(_ text: String) -> (String, Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.range(of: "]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close.lowerBound]
            portText = text[close.upperBound...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !host.contains(" "), !portText.isEmpty, portText.allSatisfy(\.isASCII),
              portText.allSatisfy(\.isNumber), portText.count <= 5,
              let port = Int(portText), port <= 65_535 else { return nil }
        return (String(host), port)
    }

    func decodeStorage(_ node: YAMLNode?) -> StorageConfig {
        var storage = StorageConfig(dir: Self.resolve("./tollgate-data", against: baseDirectory))
        guard let node, let f = fields(node, context: "storage", expected: "the storage settings (a mapping)",
                                       allowed: ["backend", "dir", "url_env", "pool_size", "reclaim_after"]) else { return storage }
        if let dir = f["dir"], let path = path(dir, what: "storage.dir") { storage.dir = path }
        if let backend = f["backend"], let chosen = choice(backend, StorageConfig.Backend.self, what: "storage.backend") {
            storage.backend = chosen
        }
        if let env = f["url_env"], let name = environmentName(env, what: "storage.url_env") { storage.urlEnv = name }
        if let n = f["pool_size"], let v = integer(n, expected: "storage.pool_size (connections per gateway, 1 to 1000)", range: 1...1000) {
            storage.poolSize = Int(v)
        }
        if let n = f["reclaim_after"], let v = integer(n, expected: "storage.reclaim_after (seconds before a silent gateway's "
                                                           + "reservations are reclaimed, 2 to 3600)", range: 2...3600) {
            storage.reclaimAfterSeconds = Int(v)
        }
        // A URL or pool for SQLite is a forgotten `backend: postgres`, not
        // something to ignore.
        if storage.backend == .sqlite, f["backend"] == nil || f["backend"]?.scalar?.text == "sqlite" {
            for key in ["url_env", "pool_size", "reclaim_after"] {
                if let value = f[key] {
                    fail(value, "storage.\(key) is for backend: postgres, and this storage is sqlite (the default); "
                        + "add `backend: postgres` or remove \(key)")
                }
            }
        }
        return storage
    }
}
