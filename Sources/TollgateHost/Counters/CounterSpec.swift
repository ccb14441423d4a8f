import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// What a counter is: declared by a plugin, shared by name between plugin
/// instances and generations.
public struct CounterSpec: Equatable, Sendable {
    public var name: String
    /// Largest spent + reserved allowed in one window; Int64.max for none.
    public var limit: Int64
    public var window: CounterWindow
    /// Spent is persisted (ignored for `minute`, which lives 60 s).
    public var persist: Bool

    public init(name: String, limit: Int64, window: CounterWindow, persist: Bool) {
        self.name = name
        self.limit = limit
        self.window = window
        self.persist = persist
    }

    var persisted: Bool { persist && window != .minute }
}

/// A counter's numbers, as tollgate_type_counter_state carries them.
public struct CounterState: Equatable, Sendable {
    public var limit: Int64
    public var spent: Int64
    public var reserved: Int64
    /// Unix seconds; windowEnd is 0 for `none`.
    public var windowStart: Int64
    public var windowEnd: Int64
    /// After a refusal: ms until the refused amount could fit if nothing
    /// else changed; 0 when unknown or never.
    public var retryAfterMs: Int64

    public var remaining: Int64 { limit == Int64.max ? Int64.max : max(0, limit - spent - reserved) }
}

/// Int64 arithmetic that saturates instead of trapping: a counter must never
/// crash the gateway, whatever a plugin asks it to add.
package enum Saturating {
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int64.max : Int64.min) : sum
    }
}
