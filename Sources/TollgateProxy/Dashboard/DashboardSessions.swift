import Foundation
import NIOHTTP1
import TollgateSupport
import TollgateConfig

/// The dashboard's sign-in sessions (docs/dashboard.md), in memory: a
/// restart or a crash forgets them all, and everyone signs in again.
///
/// A session is created by `POST /dashboard/session` for a credential the
/// admin API accepts (Authenticator.governanceActor). The browser holds its
/// token in the `tollgate_session` cookie (HttpOnly, SameSite=Strict); the
/// gateway keeps only the token's SHA-256, with the SHA-256 of the secret
/// that signed in. Each use resolves that secret again — as the master key
/// of the serving config or a credential of the registry — so a credential
/// removed by a reload, or a changed role or scope, takes effect on the next
/// request; the session then ends. A virtual key may sign in too (its
/// holder's "My key" view): it is resolved as the proxy routes resolve it,
/// so a revoked or expired key ends its sessions. Sessions last 12 hours
/// from sign-in.
///
/// Every session has a CSRF token of its own: a request authenticated by
/// the cookie that changes anything (any method but GET and HEAD) must send
/// it in `x-csrf-token` (AdminRoutes).
package final class DashboardSessions: @unchecked Sendable {
    package static let cookieName = "tollgate_session"
    /// 12 hours, in microseconds.
    package static let lifetimeMicros: Int64 = 12 * 3_600 * 1_000_000
    /// Sessions kept at most; signing in past this ends the oldest.
    package static let capacity = 10_000

    enum Kind { case master, credential, keyHolder }

    struct Session {
        /// SHA-256 of the secret that signed in: the master key, a credential
        /// or a virtual key.
        var secretDigest: String
        var kind: Kind
        var csrfToken: String
        var createdMicros: Int64
        var expiresMicros: Int64
    }

    /// What a valid session stands for now.
    package struct Resolved: Sendable {
        package var actor: GovernanceActor
        package var csrfToken: String
        /// Unix microseconds.
        package var expiresMicros: Int64
    }

    private let lock = NSLock()
    /// By the SHA-256 of the session token.
    private var sessions: [String: Session] = [:]
    private let clock: @Sendable () -> Int64

    /// `clock`: Unix microseconds.
    package init(clock: @escaping @Sendable () -> Int64 = MonotonicClock.wallMicros) {
        self.clock = clock
    }

    package var count: Int { lock.withLock { sessions.count } }

    /// A new session for `actor` (who presented `secret`): its token for
    /// the cookie, and its resolved form (the CSRF token, the expiry).
    package func create(secret: String, actor: GovernanceActor) -> (token: String, session: Resolved) {
        let token = Self.randomToken()
        let now = clock()
        let session = Session(secretDigest: KeyStore.sha256Hex(secret), kind: actor == .master ? .master : actor.keyHolder != nil ? .keyHolder : .credential,
                              csrfToken: Self.randomToken(), createdMicros: now, expiresMicros: now + Self.lifetimeMicros)
        lock.withLock {
            sessions = sessions.filter { $0.value.expiresMicros > now }
            if sessions.count >= Self.capacity, let oldest = sessions.min(by: { $0.value.createdMicros < $1.value.createdMicros }) {
                sessions[oldest.key] = nil
            }
            sessions[KeyStore.sha256Hex(token)] = session
        }
        return (token, Resolved(actor: actor, csrfToken: session.csrfToken, expiresMicros: session.expiresMicros))
    }

    /// The actor behind `token` now, or nil when the token is unknown, the
    /// session expired, or its secret no longer signs in (it is then ended).
    /// A key holder's session resolves its key against `keys` (the serving
    /// config's) and the runtime directory: a revoked or expired key ends it.
    package func resolve(token: String, masterKey: String?, runtime: RuntimeKeyDirectory,
                         keys: KeyStore = KeyStore(entries: [])) -> Resolved? {
        let id = KeyStore.sha256Hex(token)
        let now = clock()
        guard let session = lock.withLock({ sessions[id] }) else { return nil }
        let actor: GovernanceActor?
        if now >= session.expiresMicros {
            actor = nil
        } else {
            switch session.kind {
            case .master:
                actor = masterKey.map { ConstantTime.equal(KeyStore.sha256Hex($0), session.secretDigest) } == true ? .master : nil
            case .credential:
                actor = runtime.credential(sha256Hex: session.secretDigest).map { .credential($0) }
            case .keyHolder:
                if case .authenticated(let identity) = keys.authenticate(sha256Hex: session.secretDigest, now: now / 1_000_000,
                                                                         runtime: runtime) {
                    actor = .keyHolder(identity)
                } else {
                    actor = nil
                }
            }
        }
        guard let actor else {
            end(token: token)
            return nil
        }
        return Resolved(actor: actor, csrfToken: session.csrfToken, expiresMicros: session.expiresMicros)
    }

    /// Ends the session; false when there was none.
    @discardableResult
    package func end(token: String) -> Bool {
        let id = KeyStore.sha256Hex(token)
        return lock.withLock { sessions.removeValue(forKey: id) != nil }
    }

    /// 32 random bytes from the system's generator, as 64 hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for _ in 0..<4 {
            var word = generator.next() as UInt64
            for _ in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word)
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
                word >>= 8
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The session cookie: reading it from a request, writing it in an answer.
package enum DashboardCookie {
    /// The `tollgate_session` value among the request's cookies, if any.
    package static func token(in headers: HTTPHeaders) -> String? {
        for value in headers["cookie"] {
            for pair in value.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == DashboardSessions.cookieName else { continue }
                let token = String(trimmed[trimmed.index(after: equals)...]).trimmingSpaces()
                if !token.isEmpty { return token }
            }
        }
        return nil
    }

    /// `Set-Cookie` for a new session. `secure` adds `Secure` (the request
    /// came over TLS); the gateway serves plain HTTP today, see
    /// DashboardRoutes.cameOverTLS.
    package static func set(token: String, secure: Bool) -> String {
        let maxAge = DashboardSessions.lifetimeMicros / 1_000_000
        return "\(DashboardSessions.cookieName)=\(token); HttpOnly; SameSite=Strict; Path=/; Max-Age=\(maxAge)"
            + (secure ? "; Secure" : "")
    }

    /// `Set-Cookie` that makes the browser forget it (sign out).
    package static func clear(secure: Bool) -> String {
        "\(DashboardSessions.cookieName)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" + (secure ? "; Secure" : "")
    }
}
