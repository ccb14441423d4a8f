import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig

/// One settled amount to persist: added to the spent of `name` in the
/// window starting at `windowStart`.
package struct SpentEntry: Equatable, Sendable {
    package var name: String
    package var windowStart: Int64
    package var amount: Int64
}

/// A write the caller can wait for: committed once `writer` passes `ticket`.
package struct DurableTicket: @unchecked Sendable {
    package let writer: GroupCommitWriter
    package let ticket: UInt64
}

/// Where spent survives the process. The counter store works without one
/// (memory only: tests, benchmarks); the gateway gives it `SpentJournal`.
package protocol SpentPersistence: AnyObject, Sendable {
    /// What was settled for `name` in the window starting at `windowStart`.
    func loadSpent(name: String, windowStart: Int64) throws -> Int64
    /// Queues the additions; returns the ticket to wait for, nil if there
    /// was nothing to write.
    func record(_ entries: [SpentEntry]) throws -> DurableTicket?
    /// Commits what is queued and stops.
    func close()
}
