/// A status returned by a host callback (TOLLGATE_STATUS_*). Setters return
/// it (`@discardableResult`); getters turn anything but `.ok` into nil and
/// offer a `Result` variant for callers that need to tell NOT_FOUND from
/// WRONG_PHASE. It is an `Error` so a non-OK status can travel in a `Result`.
public struct HostStatus: RawRepresentable, Equatable, Hashable, Sendable, Error, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let ok = HostStatus(rawValue: TOLLGATE_STATUS_OK)
    public static let notFound = HostStatus(rawValue: TOLLGATE_STATUS_NOT_FOUND)
    public static let invalidArgument = HostStatus(rawValue: TOLLGATE_STATUS_INVALID_ARGUMENT)
    public static let wrongPhase = HostStatus(rawValue: TOLLGATE_STATUS_WRONG_PHASE)
    public static let readOnly = HostStatus(rawValue: TOLLGATE_STATUS_READ_ONLY)
    public static let refused = HostStatus(rawValue: TOLLGATE_STATUS_REFUSED)
    public static let unavailable = HostStatus(rawValue: TOLLGATE_STATUS_UNAVAILABLE)
    public static let internalError = HostStatus(rawValue: TOLLGATE_STATUS_INTERNAL)

    public var isOK: Bool { rawValue == TOLLGATE_STATUS_OK }

    /// The constant's suffix, "WRONG_PHASE" (TollgateABI's HostStatusName).
    public var description: String { HostStatusName.constant(rawValue) }
}

/// A host callback answered with a status other than OK, for the APIs that
/// throw (the ones used from `init`, such as defining a metric).
public struct HostStatusError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: HostStatus
    /// What the plugin was doing, e.g. `define metric "x_total"`.
    public var operation: String

    public init(_ status: HostStatus, operation: String) {
        self.status = status
        self.operation = operation
    }

    public var description: String { "\(operation): host answered \(status)" }
}
