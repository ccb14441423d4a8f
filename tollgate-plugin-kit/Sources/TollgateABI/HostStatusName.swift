import CTollgatePlugin

/// The name a person reads for a TOLLGATE_STATUS_* value. In the gateway's
/// logs and metric labels: the constant's name in lower case, without its
/// prefix (TOLLGATE_STATUS_WRONG_PHASE is "wrong_phase"); in the kit's
/// `HostStatus` description, the constant's suffix ("WRONG_PHASE").
public enum HostStatusName {
    static let names: [String] = [
        "ok", "not_found", "invalid_argument", "wrong_phase", "read_only", "refused", "unavailable", "internal",
    ]

    /// "wrong_phase"; "unknown status 42" for a value the header does not
    /// define.
    public static func of(_ status: tollgate_type_status) -> String {
        guard status >= 0, Int(status) < names.count else { return "unknown status \(status)" }
        return names[Int(status)]
    }

    /// "WRONG_PHASE"; "status 42" for a value the header does not define.
    public static func constant(_ status: tollgate_type_status) -> String {
        guard status >= 0, Int(status) < names.count else { return "status \(status)" }
        return names[Int(status)].uppercased()
    }
}
