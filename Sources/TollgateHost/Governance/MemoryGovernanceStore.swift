import NIOConcurrencyHelpers
import TollgateJSON

/// Nothing persisted: for tests and for a gateway without a storage directory.
package final class MemoryGovernanceStore: GovernanceStore, @unchecked Sendable {
    private let lock = NIOLock()
    private var log: [GovernanceEvent] = []

    package init() {}

    package func events(after sequence: Int64) throws -> [GovernanceEvent] {
        lock.withLock { Array(log.dropFirst(Int(max(0, min(sequence, Int64(log.count)))))) }
    }

    package func append(_ event: GovernanceEvent, after position: GovernanceLogPosition) throws -> GovernanceEvent {
        try lock.withLock {
            guard position.sequence == Int64(log.count) else { throw GovernanceAppendConflict(position: position) }
            var event = event
            event.sequence = Int64(log.count + 1)
            event.previousHash = log.last?.hash ?? ""
            event.hash = GovernanceEvent.chainHash(previous: event.previousHash, sequence: event.sequence, at: event.at,
                                                   actor: event.actor, kind: event.kind.rawValue, subject: event.subject,
                                                   body: event.body.jsonString)
            log.append(event)
            return event
        }
    }

    package func verify() throws -> ChainVerification {
        lock.withLock {
            ChainVerification.check(log.map { ($0.sequence, $0.at, $0.actor, $0.kind.rawValue, $0.subject, $0.body.jsonString,
                                              $0.previousHash, $0.hash) })
        }
    }
}
