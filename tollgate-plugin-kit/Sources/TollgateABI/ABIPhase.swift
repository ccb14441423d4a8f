/// Where a handle stands when a host function is called with it: which hook
/// of the plugin is running. The rules of every host function are stated
/// over these phases (`HostFunction.phases`), and both the gateway and the
/// test kit's fake host ask the same rules.
///
/// - A call handle is in `preCall`, `chunk` or `postCall` while that hook
///   runs, and `idle` between its hooks (the handle is then invalid: every
///   call function answers WRONG_PHASE).
/// - A route handle (ABI 1.4) is in `route` while on_route runs, else `idle`.
/// - A host handle is in `create` while on_create runs, else `idle`: a host
///   cannot tell which hook calls a host-handle function, and needs to only
///   for `declare_route`.
public enum ABIPhase: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// No hook of this handle is running (on_destroy, between two hooks of
    /// a call, another thread).
    case idle = 0
    case create
    case preCall
    case chunk
    case postCall
    /// on_route (ABI 1.4).
    case route

    /// The hook's name as the header spells it.
    public var description: String {
        switch self {
        case .idle: return "no hook"
        case .create: return "on_create"
        case .preCall: return "on_pre_call"
        case .chunk: return "on_chunk"
        case .postCall: return "on_post_call"
        case .route: return "on_route"
        }
    }
}

/// A set of phases, as a bit mask: host functions test it on every call
/// (the members are computed, and the tests inlinable, so a check compiles
/// to a mask and a branch in the hosts).
public struct ABIPhases: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public init(_ phase: ABIPhase) { rawValue = 1 << phase.rawValue }

    public static var idle: ABIPhases { ABIPhases(.idle) }
    public static var create: ABIPhases { ABIPhases(.create) }
    public static var preCall: ABIPhases { ABIPhases(.preCall) }
    public static var chunk: ABIPhases { ABIPhases(.chunk) }
    public static var postCall: ABIPhases { ABIPhases(.postCall) }
    public static var route: ABIPhases { ABIPhases(.route) }

    /// The hooks of one request.
    public static var callHooks: ABIPhases { [.preCall, .chunk, .postCall] }
    public static var chunkAndPost: ABIPhases { [.chunk, .postCall] }
    /// Every phase: functions on the host handle that are callable anywhere.
    public static var anywhere: ABIPhases { [.idle, .create, .preCall, .chunk, .postCall, .route] }

    @inlinable public func contains(_ phase: ABIPhase) -> Bool { rawValue & (1 << phase.rawValue) != 0 }

    /// The phases in the set, in declaration order.
    public var phases: [ABIPhase] { ABIPhase.allCases.filter(contains) }
}
