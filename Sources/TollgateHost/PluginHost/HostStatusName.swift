import CTollgatePlugin
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// The name an operator reads for a TOLLGATE_STATUS_* value in logs and
/// metric labels: the constant's name in lower case, without its prefix
/// (TOLLGATE_STATUS_WRONG_PHASE is "wrong_phase").
package enum HostStatusName {
    static func of(_ status: tollgate_type_status) -> String {
        switch status {
        case TOLLGATE_STATUS_OK: return "ok"
        case TOLLGATE_STATUS_NOT_FOUND: return "not_found"
        case TOLLGATE_STATUS_INVALID_ARGUMENT: return "invalid_argument"
        case TOLLGATE_STATUS_WRONG_PHASE: return "wrong_phase"
        case TOLLGATE_STATUS_READ_ONLY: return "read_only"
        case TOLLGATE_STATUS_REFUSED: return "refused"
        case TOLLGATE_STATUS_UNAVAILABLE: return "unavailable"
        case TOLLGATE_STATUS_INTERNAL: return "internal"
        default: return "unknown status \(status)"
        }
    }
}
