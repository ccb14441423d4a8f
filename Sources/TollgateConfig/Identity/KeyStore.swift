import Crypto
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

package enum AuthResult: Sendable, Equatable {
    case authenticated(Identity)
    /// No key was presented.
    case missing
    /// A key was presented that matches no configured key.
    case unknown
    /// The key matched but its expiry has passed.
    case expired(Identity)
    /// The key matched but was revoked (why: when and by whom).
    case revoked(Identity, String)
}

/// Virtual keys, stored only as SHA-256 digests. Authentication hashes the
/// presented key and looks the digest up in a dictionary, so its cost does
/// not grow with the number of keys.
package struct KeyStore: Sendable {
    private let identities: [String: Identity]

    /// Digests are normalised to lowercase hex; on a duplicate digest the
    /// first entry wins (the config loader rejects duplicates before this).
    package init(entries: [(sha256Hex: String, identity: Identity)]) {
        var identities: [String: Identity] = [:]
        identities.reserveCapacity(entries.count)
        for entry in entries {
            let digest = entry.sha256Hex.lowercased()
            if identities[digest] == nil { identities[digest] = entry.identity }
        }
        self.identities = identities
    }

    package var count: Int { identities.count }

    /// `now` is Unix seconds from the caller's clock. `runtime` adds the
    /// keys minted at run time and the revocations.
    package func authenticate(presentedKey: String?, now: Int64, runtime: RuntimeKeyDirectory? = nil) -> AuthResult {
        guard let presentedKey, !presentedKey.isEmpty else { return .missing }
        let digest = Self.sha256Hex(presentedKey)
        guard let identity = identities[digest] ?? runtime?.mintedIdentity(sha256Hex: digest) else { return .unknown }
        if let runtime, let why = runtime.keyRevocation(identity.keyId) { return .revoked(identity, why) }
        return identity.isExpired(now: now) ? .expired(identity) : .authenticated(identity)
    }

    /// As `authenticate`, for a key known by its SHA-256 only (a dashboard
    /// session remembers the digest of the key that signed in).
    package func authenticate(sha256Hex digest: String, now: Int64, runtime: RuntimeKeyDirectory?) -> AuthResult {
        guard let identity = identities[digest] ?? runtime?.mintedIdentity(sha256Hex: digest) else { return .unknown }
        if let runtime, let why = runtime.keyRevocation(identity.keyId) { return .revoked(identity, why) }
        return identity.isExpired(now: now) ? .expired(identity) : .authenticated(identity)
    }

    /// The configured key with this id (revocation by id needs its team).
    package func identity(keyID: String) -> Identity? { identities.values.first { $0.keyId == keyID } }

    /// Lowercase hex SHA-256 of the UTF-8 bytes: what goes in `sha256:` in YAML.
    package static func sha256Hex(_ text: String) -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
