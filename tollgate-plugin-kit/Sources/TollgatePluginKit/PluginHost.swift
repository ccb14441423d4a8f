/// The host's side of one plugin instance: logging, metrics, prices and
/// alerts. Handed to `init(host:config:)`; valid until the instance is
/// destroyed, callable from any thread.
public final class PluginHost: @unchecked Sendable {
    /// The raw host API table, for functions the kit does not wrap.
    public let hostAPI: UnsafePointer<tollgate_type_host_api>
    /// The raw tollgate_type_host_ptr to pass to host functions.
    public let handle: OpaquePointer

    public init(hostAPI: UnsafePointer<tollgate_type_host_api>, handle: OpaquePointer) {
        self.hostAPI = hostAPI
        self.handle = handle
    }

    /// Writes one log line tagged with the instance's name, and the request
    /// id when `call` is given. Never log prompt or response text.
    @discardableResult
    public func log(_ level: LogLevel, _ message: String, call: Call? = nil) -> HostStatus {
        guard let log = hostAPI.pointee.log else { return .internalError }
        return withTollgateStr(message) { HostStatus(rawValue: log(handle, call?.handle, level.rawValue, $0)) }
    }

    /// The catalog price of a public model name; nil if it is not in the
    /// catalog.
    public func price(of model: String) -> Price? {
        guard let getPrice = hostAPI.pointee.get_price else { return nil }
        var out = tollgate_type_price()
        out.struct_size = UInt32(MemoryLayout<tollgate_type_price>.size)
        let status = withTollgateStr(model) { getPrice(handle, $0, &out) }
        guard status == TOLLGATE_STATUS_OK else { return nil }
        return Price(inputPerMtokNanos: out.input_per_mtok_nanos, outputPerMtokNanos: out.output_per_mtok_nanos,
                     cachedPerMtokNanos: out.cached_per_mtok_nanos)
    }

    /// The cost in nano-dollars by the host's one formula; nil for a model
    /// not in the catalog, a negative count, or a result beyond Int64.
    public func cost(model: String, tokensIn: Int64, tokensOut: Int64, tokensCached: Int64 = 0) -> Int64? {
        guard let computeCost = hostAPI.pointee.compute_cost else { return nil }
        var out: Int64 = 0
        let status = withTollgateStr(model) { computeCost(handle, $0, tokensIn, tokensOut, tokensCached, &out) }
        return status == TOLLGATE_STATUS_OK ? out : nil
    }

    /// Hands an alert to the host, which delivers it without blocking.
    @discardableResult
    public func raiseAlert(_ alert: Alert) -> HostStatus {
        guard let raise = hostAPI.pointee.raise_alert else { return .internalError }
        let details = alert.details.map { $0.jsonString } ?? ""
        return withTollgateStrs([alert.kind, alert.subject, alert.message, alert.dedupeKey, details]) { strs in
            var c = tollgate_type_alert()
            c.struct_size = UInt32(MemoryLayout<tollgate_type_alert>.size)
            c.severity = alert.severity.rawValue
            c.kind = strs[0]
            c.subject = strs[1]
            c.message = strs[2]
            c.dedupe_key = strs[3]
            c.details_json = strs[4]
            return HostStatus(rawValue: raise(handle, &c))
        }
    }
}
