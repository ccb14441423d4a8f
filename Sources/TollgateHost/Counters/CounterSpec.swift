import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// What a counter is: declared by a plugin, shared by name between plugin
/// instances and generations.
package struct CounterSpec: Equatable, Sendable {
    package var name: String
    /// Largest spent + reserved allowed in one window; Int64.max for none.
    package var limit: Int64
    package var window: CounterWindow
    /// Spent is persisted (ignored for `minute`, which lives 60 s).
    package var persist: Bool

    package init(name: String, limit: Int64, window: CounterWindow, persist: Bool) {
        self.name = name
        self.limit = limit
        self.window = window
        self.persist = persist
    }

    var persisted: Bool { persist && window != .minute }
}

/// A counter's numbers, as tollgate_type_counter_state carries them.
package struct CounterState: Equatable, Sendable {
    package var limit: Int64
    package var spent: Int64
    package var reserved: Int64
    /// Unix seconds; windowEnd is 0 for `none`.
    package var windowStart: Int64
    package var windowEnd: Int64
    /// After a refusal: ms until the refused amount could fit if nothing
    /// else changed; 0 when unknown or never.
    package var retryAfterMs: Int64

    package var remaining: Int64 { limit == Int64.max ? Int64.max : max(0, limit - spent - reserved) }
}
