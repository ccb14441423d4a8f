import TollgateConfig

/// One amount on one counter, as a shared counter store sees it: the
/// counter by name, the window the amount lands in (`anchor`: the window
/// start of a calendar or `none` window, the second of a `minute` one).
package struct SharedHold: Equatable, Sendable, Codable {
    package var name: String
    package var minute: Bool
    package var anchor: Int64
    package var amount: Int64

    package init(name: String, minute: Bool, anchor: Int64, amount: Int64) {
        self.name = name
        self.minute = minute
        self.anchor = anchor
        self.amount = amount
    }
}

/// A counter's numbers in the shared store: spent in the window of the
/// hold's anchor (the last 60 s for `minute`), and reserved by every
/// gateway's open reservations.
package struct SharedNumbers: Equatable, Sendable {
    package var spent: Int64
    package var reserved: Int64

    package init(spent: Int64, reserved: Int64) {
        self.spent = spent
        self.reserved = reserved
    }
}

/// What a shared reserve decided.
package enum SharedReserveAnswer: Equatable, Sendable {
    /// Held on every counter (`over`: the first item over its limit, when
    /// forced); `after[i]` is item i's counter after the hold.
    case reserved(over: Int?, after: [SharedNumbers])
    /// Nothing held: item `index` does not fit. `buckets` (second, amount)
    /// are that counter's last 60 s when it is a `minute` counter.
    case refused(index: Int, numbers: SharedNumbers, buckets: [SharedBucket])
}

package struct SharedBucket: Equatable, Sendable {
    package var second: Int64
    package var amount: Int64

    package init(second: Int64, amount: Int64) {
        self.second = second
        self.amount = amount
    }
}

/// What closing a reservation in the shared store did.
package enum SharedCloseAnswer: Equatable, Sendable {
    /// Applied now; `after[i]` is item i's counter afterwards.
    case applied(after: [SharedNumbers])
    /// This reservation id was already closed: nothing changed (a settle
    /// retried after a lost answer counts once).
    case alreadyClosed
}

/// Counters several gateways share (PostgreSQL). Every call is one round
/// trip that is atomic in the store; reservation ids are unique across
/// gateways (`replicaID` prefixes them), which makes a close idempotent.
/// Implementations block the calling thread until the store answers or
/// their deadline passes (then they throw `CounterStoreError.unavailable`).
package protocol SharedCounterBackend: AnyObject, Sendable {
    /// This gateway process, unique among those sharing the store.
    var replicaID: String { get }

    /// Holds `holds[i].amount` on every counter if each fits under
    /// `limits[i]` (Int64.max: no limit; the same counter's amounts add
    /// up), or nothing; with `force`, always holds.
    func reserve(id: String, holds: [SharedHold], limits: [Int64], force: Bool, nowSecond: Int64) throws -> SharedReserveAnswer

    /// Closes reservation `id`: its holds leave `reserved` and, unless
    /// `actual` is nil (a release), actual[i] joins the spent of hold i's
    /// window. Exactly once per id: a second close of the same id changes
    /// nothing. An id the store never saw (or reclaimed) still adds its
    /// spent, once. `counter_add` is a close of a fresh id with a zero hold.
    func close(id: String, holds: [SharedHold], actual: [Int64]?, nowSecond: Int64) throws -> SharedCloseAnswer

    /// The numbers of each hold's counter (amounts ignored).
    func numbers(_ holds: [SharedHold], nowSecond: Int64) throws -> [SharedNumbers]

    /// Says this gateway is alive and gives back the open reservations of
    /// gateways silent for `reclaimAfterMs` (returns how many).
    func heartbeat(reclaimAfterMs: Int64) throws -> Int

    /// Says this gateway is leaving (its row goes: nothing left to reclaim).
    func leave()
}

/// Closes (settles, releases, adds) the shared store could not take when
/// they happened, kept until it can: in memory, and in a file when the
/// gateway has one, so a restart retries them too. Ids make the retry
/// exactly-once.
package protocol SharedCloseOutbox: AnyObject, Sendable {
    func put(_ close: PendingClose) throws
    func remove(_ id: String) throws
    func all() throws -> [PendingClose]
}

/// A close waiting for the shared store.
package struct PendingClose: Equatable, Sendable, Codable {
    package var id: String
    package var holds: [SharedHold]
    /// nil: a release.
    package var actual: [Int64]?

    package init(id: String, holds: [SharedHold], actual: [Int64]?) {
        self.id = id
        self.holds = holds
        self.actual = actual
    }
}
