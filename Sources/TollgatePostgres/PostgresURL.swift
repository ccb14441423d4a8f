import Foundation
import NIOSSL
import PostgresNIO

/// A connection URL as libpq writes it:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE`
/// (`postgresql://` too; user and password percent-encoded; a Unix socket
/// as `postgres://USER@/DATABASE?host=/var/run/postgresql`). `sslmode`:
/// disable, prefer (the default: TLS when the server offers it), require
/// (TLS, certificate not checked, as libpq), verify-ca, verify-full (with
/// `sslrootcert=FILE` for a private CA).
package struct PostgresURL: Sendable, Equatable {
    package enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var host: String?
    package var unixSocketPath: String?
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var tlsMode: TLSMode
    package var rootCertificate: String?

    /// Where it points, without the password: for messages and logs.
    package var target: String {
        let place = unixSocketPath.map { "unix:\($0)" } ?? "\(host ?? "?"):\(port)"
        return "\(user)@\(place)/\(database)"
    }

    /// Parses `text`; the error says what is wrong without repeating the
    /// URL (it may hold a password).
    package static func parse(_ text: String) throws -> PostgresURL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw PostgresStorageError.badURL("not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw PostgresStorageError.badURL("the scheme is '\(scheme)', expected postgres:// (or postgresql://)")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let known: Set<String> = ["sslmode", "sslrootcert", "host", "application_name", "connect_timeout"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw PostgresStorageError.badURL("unknown parameter '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        var url = PostgresURL(host: nil, unixSocketPath: nil, port: components.port ?? 5432, user: components.user ?? "postgres",
                              password: components.password, database: "", tlsMode: .prefer, rootCertificate: query["sslrootcert"])
        if let host = components.host, !host.isEmpty {
            url.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        } else if let socket = query["host"], socket.hasPrefix("/") {
            url.unixSocketPath = socket.hasSuffix(".s.PGSQL.\(url.port)") ? socket : socket + "/.s.PGSQL.\(url.port)"
        } else {
            throw PostgresStorageError.badURL("no host; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        url.database = path.removingPercentEncoding ?? path
        guard !url.database.isEmpty, !url.database.contains("/") else {
            throw PostgresStorageError.badURL("no database name; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        if let mode = query["sslmode"] {
            guard let chosen = TLSMode(rawValue: mode) else {
                throw PostgresStorageError.badURL("sslmode '\(mode)' is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            url.tlsMode = chosen
        }
        return url
    }

    /// The same URL pointing at another database (tests, admin tools).
    package func with(database: String) -> PostgresURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The pool's configuration: at most `poolSize` connections.
    func clientConfiguration(poolSize: Int, connectTimeout: Duration) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socket = unixSocketPath {
            configuration = .init(unixSocketPath: socket, username: user, password: password, database: database)
        } else {
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database,
                                  tls: try clientTLS())
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// One connection's configuration (the start-up probe).
    func connectionConfiguration(connectTimeout: TimeAmount) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = unixSocketPath {
            configuration = .init(unixSocketPath: socket, username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch tlsMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
            default: tls = .require(try NIOSSLContext(configuration: tlsConfiguration()))
            }
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    private func clientTLS() throws -> PostgresClient.Configuration.TLS {
        switch tlsMode {
        case .disable: return .disable
        case .prefer: return .prefer(try tlsConfiguration())
        default: return .require(try tlsConfiguration())
        }
    }

    /// libpq's meanings: prefer and require encrypt without checking the
    /// certificate; verify-ca checks the chain; verify-full also the name.
    private func tlsConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        return tls
    }
}
