/// One request, as a hook sees it. A thin wrapper over the host API table
/// and the call handle: every property is a host call, nothing is cached.
///
/// Valid only during the hook it was passed to, on that hook's thread —
/// never store a `Call` or use it from another thread. Strings it returns
/// are copies and may be kept.
///
/// Errors: getters return nil when the host answers anything but OK (the
/// property is unset — NOT_FOUND — or not readable in this hook —
/// WRONG_PHASE); use `stringResult`/`intResult` to tell the two apart.
/// Setters return the host's `HostStatus` (`@discardableResult`).
public struct Call {
    /// Which hook this call was handed to.
    public enum Phase: Sendable {
        case preCall, chunk, postCall
    }

    /// The raw host API table.
    public let hostAPI: UnsafePointer<tollgate_type_host_api>
    /// The raw tollgate_type_call_ptr.
    public let handle: OpaquePointer
    public let phase: Phase
    /// Where the per-request state pointer lives: the host's slot in
    /// on_pre_call, a slot on the kit trampoline's stack in the other hooks.
    let stateSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>

    init(hostAPI: UnsafePointer<tollgate_type_host_api>, handle: OpaquePointer, phase: Phase,
         stateSlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        self.hostAPI = hostAPI
        self.handle = handle
        self.phase = phase
        self.stateSlot = stateSlot
    }

    /// Per-request state: set it in `preCall`, read it back in `onChunk`
    /// and `postCall` of the same request. The kit retains the object and
    /// releases it right after `postCall` returns (which the host
    /// guarantees to call for every request the plugin entered), so a
    /// reservation kept here is always seen again. Assigning outside
    /// `preCall` is ignored (the ABI hands the slot to on_pre_call only):
    /// mutate the object instead.
    public var state: AnyObject? {
        get {
            guard let raw = stateSlot.pointee else { return nil }
            return Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue()
        }
        nonmutating set {
            guard phase == .preCall else { return }
            let old = stateSlot.pointee
            stateSlot.pointee = newValue.map { Unmanaged.passRetained($0).toOpaque() }
            if let old { Unmanaged<AnyObject>.fromOpaque(old).release() }
        }
    }

    /// `state` cast to the type the plugin stored.
    public func state<T: AnyObject>(as type: T.Type) -> T? {
        state as? T
    }

    // MARK: Raw property access

    /// A string property (TOLLGATE_PROP_*), or the host's status.
    public func stringResult(_ property: Int32) -> Result<String, HostStatusError> {
        var out = tollgate_type_str()
        let status = hostAPI.pointee.get_string.map { $0(handle, property, &out) } ?? TOLLGATE_STATUS_INTERNAL
        guard status == TOLLGATE_STATUS_OK else {
            return .failure(HostStatusError(HostStatus(rawValue: status), operation: "read property \(property)"))
        }
        return .success(String(tollgate: out))
    }

    /// An integer property (TOLLGATE_PROP_*), or the host's status.
    public func intResult(_ property: Int32) -> Result<Int64, HostStatusError> {
        var out: Int64 = 0
        let status = hostAPI.pointee.get_int.map { $0(handle, property, &out) } ?? TOLLGATE_STATUS_INTERNAL
        guard status == TOLLGATE_STATUS_OK else {
            return .failure(HostStatusError(HostStatus(rawValue: status), operation: "read property \(property)"))
        }
        return .success(out)
    }

    /// A string property, nil unless the host answers OK.
    public func string(_ property: Int32) -> String? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_string, get(handle, property, &out) == TOLLGATE_STATUS_OK else { return nil }
        return String(tollgate: out)
    }

    /// An integer property, nil unless the host answers OK.
    public func int(_ property: Int32) -> Int64? {
        var out: Int64 = 0
        guard let get = hostAPI.pointee.get_int, get(handle, property, &out) == TOLLGATE_STATUS_OK else { return nil }
        return out
    }

    /// Lends the bytes of a string property to `body` without copying them
    /// into a String (for hot paths that only compare or hash). nil unless
    /// the host answers OK. The buffer must not escape `body`.
    public func withStringBytes<R>(_ property: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        var out = tollgate_type_str()
        guard let get = hostAPI.pointee.get_string, get(handle, property, &out) == TOLLGATE_STATUS_OK else { return nil }
        return try body(UnsafeRawBufferPointer(start: out.ptr, count: out.ptr == nil ? 0 : out.len))
    }
}
