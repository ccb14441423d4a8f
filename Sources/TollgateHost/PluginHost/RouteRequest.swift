import CTollgatePlugin
import TollgateABI
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// One request on a plugin route (ABI 1.4), as the plugin sees it through
/// the host table: what `tollgate_type_route_ptr` points to. Lives for one
/// on_route, on the thread that runs it.
final class RouteRequest {
    let method: String
    let path: String
    let query: String
    let body: [UInt8]
    /// Who called (ABI 1.5 route properties): the master key unless set.
    var callerRole = "admin"
    var callerScope = ""
    /// `.route` while on_route runs; the handle is invalid otherwise.
    var phase: ABIPhase = .idle
    /// Set by route_respond.
    var response: (status: Int, contentType: String, body: [UInt8])?
    let arena = BorrowArena()

    init(method: String, path: String, query: String, body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) -> RouteRequest? {
        guard let pointer else { return nil }
        return Unmanaged<RouteRequest>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
