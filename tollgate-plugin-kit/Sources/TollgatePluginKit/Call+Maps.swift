/// The string maps of a call (TOLLGATE_MAP_*).
public enum CallMap: Int32, Sendable {
    /// The client's request headers (lower-case keys). Read-only.
    case requestHeaders = 1
    /// Request attributes (tags). Write in preCall only.
    case attributes = 2
    /// String values of the body's `metadata` object. Read-only.
    case metadata = 3
    /// Extra headers added to the response. Write in preCall and the first
    /// chunk.
    case responseHeaders = 4
    /// The upstream's response headers. Read-only; chunk+post.
    case upstreamHeaders = 5
}

extension Call {
    /// The value for `key` in `map` (header keys match case-insensitively).
    public func value(in map: CallMap, for key: String) -> String? {
        guard let get = hostAPI.pointee.map_get else { return nil }
        var out = tollgate_type_str()
        let status = withTollgateStr(key) { get(handle, map.rawValue, $0, &out) }
        return status == TOLLGATE_STATUS_OK ? String(tollgate: out) : nil
    }

    /// Every entry of `map`, in insertion order.
    public func entries(of map: CallMap) -> [(key: String, value: String)] {
        guard let countFn = hostAPI.pointee.map_count, let entry = hostAPI.pointee.map_entry else { return [] }
        var count = 0
        guard countFn(handle, map.rawValue, &count) == TOLLGATE_STATUS_OK else { return [] }
        var result: [(key: String, value: String)] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            var key = tollgate_type_str()
            var value = tollgate_type_str()
            guard entry(handle, map.rawValue, index, &key, &value) == TOLLGATE_STATUS_OK else { break }
            result.append((String(tollgate: key), String(tollgate: value)))
        }
        return result
    }

    /// Sets `key` to `value` in `map`, replacing any value.
    @discardableResult
    public func setValue(_ value: String, for key: String, in map: CallMap) -> HostStatus {
        guard let set = hostAPI.pointee.map_set else { return .internalError }
        return withTollgateStr(key) { key in withTollgateStr(value) { value in HostStatus(rawValue: set(handle, map.rawValue, key, value)) } }
    }

    // MARK: Conveniences

    /// A request header (case-insensitive). Authorization and x-api-key are
    /// never visible.
    public func requestHeader(_ name: String) -> String? { value(in: .requestHeaders, for: name) }
    public var requestHeaders: [(key: String, value: String)] { entries(of: .requestHeaders) }

    public func attribute(_ key: String) -> String? { value(in: .attributes, for: key) }
    public var attributes: [(key: String, value: String)] { entries(of: .attributes) }
    /// Sets a request attribute (tag) every later plugin, the ledger and
    /// the logs can read. preCall only.
    @discardableResult
    public func setAttribute(_ key: String, _ value: String) -> HostStatus { setValue(value, for: key, in: .attributes) }

    public func metadata(_ key: String) -> String? { value(in: .metadata, for: key) }
    public var metadata: [(key: String, value: String)] { entries(of: .metadata) }

    public func responseHeader(_ name: String) -> String? { value(in: .responseHeaders, for: name) }
    /// Adds (or replaces) a header on the response to the client, whatever
    /// the outcome. preCall, and onChunk of the first event.
    @discardableResult
    public func setResponseHeader(_ name: String, _ value: String) -> HostStatus {
        setValue(value, for: name, in: .responseHeaders)
    }

    /// An upstream response header (chunk+post).
    public func upstreamHeader(_ name: String) -> String? { value(in: .upstreamHeaders, for: name) }
    public var upstreamHeaders: [(key: String, value: String)] { entries(of: .upstreamHeaders) }
}
