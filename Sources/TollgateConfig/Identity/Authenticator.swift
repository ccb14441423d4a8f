import NIOHTTP1
import TollgateUnits
import TollgateSupport
import TollgateJSON
import TollgateDialects

/// One authenticator for every route that needs a caller: the proxy routes,
/// `/v1/models` (a virtual key) and `/admin/...` (the master key), and the
/// admin routes plugins serve. The same mistake gets the same status, code
/// and message wherever it is made.
///
/// On the proxy's hot path: a success allocates nothing beyond the key
/// string read from the headers and the digest KeyStore hashes; the
/// messages are built only for a refusal.
package enum Authenticator {
    /// The identity behind the virtual key the request presents, or the
    /// 401 to answer. `now` is Unix seconds.
    package static func caller(_ headers: HTTPHeaders, keys: KeyStore, now: Int64,
                               runtime: RuntimeKeyDirectory? = nil) -> Result<Identity, GatewayError> {
        switch keys.authenticate(presentedKey: presentedKey(headers), now: now, runtime: runtime) {
        case .authenticated(let identity):
            return .success(identity)
        case .missing:
            return .failure(.authentication("Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
                                            code: "missing_api_key"))
        case .unknown:
            return .failure(.authentication("Invalid API key."))
        case .expired(let identity):
            let when = identity.expiresAt.map { UTCCalendar.iso8601($0) } ?? "an earlier date"
            return .failure(.authentication("This API key (\(identity.keyId)) expired at \(when).", code: "expired_api_key"))
        case .revoked(let identity, let why):
            return .failure(.authentication("This API key (\(identity.keyId)) was \(why).", code: "revoked_api_key"))
        }
    }

    /// nil when the request presents the master key; else the error to
    /// answer: 403 when admin is off (`masterKey` nil), 401 otherwise.
    /// The comparison takes the same time wherever the keys differ.
    package static func master(_ headers: HTTPHeaders, masterKey: String?) -> GatewayError? {
        guard let masterKey else {
            return GatewayError(status: 403, type: "permission_error", code: "admin_disabled",
                                message: "Admin endpoints are disabled: set server.master_key_env and that environment variable.")
        }
        guard let presented = presentedKey(headers), ConstantTime.equal(presented, masterKey) else {
            return .authentication("Admin endpoints need the master key.", code: "invalid_master_key")
        }
        return nil
    }

    /// Who is calling a governance route: the master key, or a credential
    /// (team admin, viewer); 401 for anything else. Works without a master
    /// key configured (credentials alone).
    package static func governanceActor(_ headers: HTTPHeaders, masterKey: String?,
                                        runtime: RuntimeKeyDirectory) -> Result<GovernanceActor, GatewayError> {
        guard let presented = presentedKey(headers) else {
            return .failure(.authentication("This endpoint needs the master key or a credential (Authorization: Bearer ...).",
                                            code: "missing_api_key"))
        }
        if let masterKey, ConstantTime.equal(presented, masterKey) { return .success(.master) }
        if let credential = runtime.credential(sha256Hex: KeyStore.sha256Hex(presented)) { return .success(.credential(credential)) }
        return .failure(.authentication("This key is neither the master key nor a credential.", code: "invalid_credential"))
    }

    /// As `governanceActor`, and when the key is neither the master key nor
    /// a credential, a virtual key (checked as the proxy routes check it,
    /// `caller`, with the runtime directory): its holder, who may call
    /// `GET /admin/me` only. A revoked or expired key gets its usual 401; a
    /// key that is none of the three gets governanceActor's.
    package static func governanceActorOrKeyHolder(_ headers: HTTPHeaders, masterKey: String?, runtime: RuntimeKeyDirectory,
                                                   keys: KeyStore, now: Int64) -> Result<GovernanceActor, GatewayError> {
        let actor = governanceActor(headers, masterKey: masterKey, runtime: runtime)
        guard case .failure(let error) = actor, error.code == "invalid_credential" else { return actor }
        switch keys.authenticate(presentedKey: presentedKey(headers), now: now, runtime: runtime) {
        case .authenticated(let identity): return .success(.keyHolder(identity))
        case .unknown, .missing: return .failure(error)
        case .expired, .revoked: return caller(headers, keys: keys, now: now, runtime: runtime).map { GovernanceActor.keyHolder($0) }
        }
    }

    /// The key from `authorization: Bearer KEY` (the scheme in any case),
    /// else from `x-api-key`; spaces and tabs around it are not part of it.
    /// Byte by byte: splitting by Character cost more than the rest of
    /// authentication.
    static func presentedKey(_ headers: HTTPHeaders) -> String? {
        if let authorization = headers.first(name: "authorization"), let token = bearerToken(authorization) {
            return token
        }
        if let key = headers.first(name: "x-api-key") { return key.trimmingSpaces() }
        return nil
    }

    /// What follows "Bearer " in an authorization value; nil for another
    /// scheme or an empty token.
    static func bearerToken(_ value: String) -> String? {
        let utf8 = value.utf8
        var i = utf8.startIndex
        while i != utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 { i = utf8.index(after: i) }
        for expected in "bearer".utf8 {
            guard i != utf8.endIndex, utf8[i] | 0x20 == expected else { return nil }
            i = utf8.index(after: i)
        }
        guard i != utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 else { return nil }
        let token = String(value[i...]).trimmingSpaces()
        return token.isEmpty ? nil : token
    }
}
