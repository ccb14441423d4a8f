import TollgateABI
import TollgatePluginKit

// The fake host's raw table and handles, for tests that call host functions
// directly rather than through a plugin: a C helper under test, or the
// gateway's own test that calls the fake's table and the real one side by
// side to prove they apply the same ABI rules.

extension FakeHost {
    /// The fake's host API table, as a host of ABI 1.`minor` hands it out.
    public static func hostAPI(minor: UInt16 = UInt16(TOLLGATE_ABI_MINOR)) -> UnsafePointer<tollgate_type_host_api> {
        FakeHostTable.pointer(forMinor: minor)
    }

    /// Runs `body` with this host's handle in `phase` (`.create` as in
    /// on_create, anything else as outside it). `routeHook`: whether the
    /// plugin's descriptor has on_route, for declare_route.
    public func withRawHandle<R>(in phase: ABIPhase, routeHook: Bool = false, _ body: (OpaquePointer) throws -> R) rethrows -> R {
        let saved = creation.withLock { c -> Creation in
            let saved = c
            c.phase = phase == .create ? .create : .idle
            c.hasRouteHook = routeHook
            return saved
        }
        defer {
            creation.withLock {
                $0.phase = saved.phase
                $0.hasRouteHook = saved.hasRouteHook
            }
        }
        return try body(OpaquePointer(Unmanaged.passUnretained(self).toOpaque()))
    }
}

extension FakeCall {
    /// Runs `body` with this call's handle in `phase`, as if that hook were
    /// running (`.idle` and the host-only phases: as between hooks). What
    /// was lent is poisoned when `body` returns. `host` answers catalog
    /// lookups (provider, deployments).
    public func withRawHandle<R>(in phase: ABIPhase, host: FakeHost? = nil, _ body: (OpaquePointer) throws -> R) rethrows -> R {
        if let host { self.host = host }
        self.phase = ABIPhases.callHooks.contains(phase) ? phase : .idle
        defer { endHook() }
        return try body(OpaquePointer(Unmanaged.passUnretained(self).toOpaque()))
    }
}

extension FakeRoute {
    /// Runs `body` with this route request's handle in `phase` (`.route` as
    /// in on_route, anything else as outside it).
    public func withRawHandle<R>(in phase: ABIPhase, _ body: (OpaquePointer) throws -> R) rethrows -> R {
        self.phase = phase == .route ? .route : .idle
        defer { endHook() }
        return try body(OpaquePointer(Unmanaged.passUnretained(self).toOpaque()))
    }
}
