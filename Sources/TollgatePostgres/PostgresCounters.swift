import Foundation
import TollgateHost
import PostgresNIO

/// The counter store's shared backend: one function call per reserve,
/// close, refresh or heartbeat (PostgresCounterSchema has what each does
/// and why the bound holds). Calls block the calling thread — an event
/// loop running a plugin's hook — for one round trip; the pool runs on the
/// storage's own loops, so the answer never needs the thread that waits.
package final class PostgresCounters: SharedCounterBackend, Sendable {
    private let storage: PostgresStorage
    package let replicaID: String
    /// How long a closed reservation id is remembered (a replayed settle
    /// within it counts once).
    package static let keepClosedMs: Int64 = 3_600_000
    /// A reserve or close waits at most this long: a hook waiting on it
    /// holds its event loop, so a database that hangs costs two seconds
    /// per call (then the plugin's fail policy), never the 5 s default.
    package static let callTimeout: TimeAmount = .seconds(2)

    package init(storage: PostgresStorage, replicaID: String = PostgresCounters.newReplicaID()) {
        self.storage = storage
        self.replicaID = replicaID
    }

    /// host-pid-random: unique among the gateways on one database, and new
    /// at every start (a restarted gateway never inherits its former
    /// self's reservations: those are reclaimed).
    package static func newReplicaID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "gateway"
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host.prefix(32))-\(getpid())-\(random)"
    }

    package func reserve(id: String, holds: [SharedHold], limits: [Int64], force: Bool, nowSecond: Int64) throws -> SharedReserveAnswer {
        let (names, minute, anchors, amounts) = Self.columns(holds)
        let replica = replicaID
        let answer = try call("reserve a counter hold", timeout: Self.callTimeout) { client in
            try await client.query("""
                SELECT tollgate_counter_reserve(\(id), \(replica), \(names), \(minute), \(anchors), \(amounts), \(limits),
                                                \(force), \(nowSecond))
                """).collect().first?.decode([Int64].self) ?? []
        }
        guard answer.count >= 2 else { throw CounterStoreError.unavailable("the database gave no answer to a reserve") }
        if answer[0] >= 0 {
            guard answer.count >= 4 else { throw CounterStoreError.unavailable("the database gave a short refusal") }
            var buckets: [SharedBucket] = []
            var i = 4
            while i + 1 < answer.count {
                buckets.append(SharedBucket(second: answer[i], amount: answer[i + 1]))
                i += 2
            }
            return .refused(index: Int(answer[0]), numbers: SharedNumbers(spent: answer[2], reserved: answer[3]), buckets: buckets)
        }
        return .reserved(over: answer[1] >= 0 ? Int(answer[1]) : nil, after: Self.numbers(answer.dropFirst(2)))
    }

    package func close(id: String, holds: [SharedHold], actual: [Int64]?, nowSecond: Int64) throws -> SharedCloseAnswer {
        let (names, minute, anchors, amounts) = Self.columns(holds)
        let replica = replicaID
        let answer = try call(actual == nil ? "release a counter hold" : "settle a counter hold", timeout: Self.callTimeout) { client in
            try await client.query("""
                SELECT tollgate_counter_close(\(id), \(replica), \(names), \(minute), \(anchors), \(amounts), \(actual),
                                              \(nowSecond))
                """).collect().first?.decode([Int64].self) ?? []
        }
        guard let first = answer.first else { throw CounterStoreError.unavailable("the database gave no answer to a close") }
        return first == 1 ? .alreadyClosed : .applied(after: Self.numbers(answer.dropFirst()))
    }

    package func numbers(_ holds: [SharedHold], nowSecond: Int64) throws -> [SharedNumbers] {
        let (names, minute, anchors, _) = Self.columns(holds)
        let answer = try call("read the counters") { client in
            try await client.query("SELECT tollgate_counter_numbers(\(names), \(minute), \(anchors), \(nowSecond))")
                .collect().first?.decode([Int64].self) ?? []
        }
        return Self.numbers(answer[...])
    }

    package func heartbeat(reclaimAfterMs: Int64) throws -> Int {
        let replica = replicaID
        let keep = Self.keepClosedMs
        return try call("send the gateway's heartbeat") { client in
            try await client.query("SELECT tollgate_counter_heartbeat(\(replica), \(reclaimAfterMs), \(keep))")
                .collect().first?.decode(Int.self) ?? 0
        }
    }

    package func leave() {
        let replica = replicaID
        // Nothing of ours should be open now; whatever is, is reclaimed by
        // the next heartbeat of any gateway.
        _ = try? call("say the gateway is leaving") { client in
            try await client.query("UPDATE tollgate_counter_replicas SET seen_ms = 0 WHERE id = \(replica)").collect().count
        }
    }

    private func call<T: Sendable>(_ what: String, timeout: TimeAmount = PostgresStorage.operationTimeout,
                                   _ body: @escaping @Sendable (PostgresClient) async throws -> T) throws -> T {
        do {
            return try storage.blocking(what, timeout: timeout, body)
        } catch let error as PostgresStorageError {
            throw CounterStoreError.unavailable(error.description)
        }
    }

    private static func columns(_ holds: [SharedHold]) -> ([String], [Bool], [Int64], [Int64]) {
        (holds.map(\.name), holds.map(\.minute), holds.map(\.anchor), holds.map(\.amount))
    }

    private static func numbers(_ flat: ArraySlice<Int64>) -> [SharedNumbers] {
        var result: [SharedNumbers] = []
        var i = flat.startIndex
        while i + 1 < flat.endIndex {
            result.append(SharedNumbers(spent: flat[i], reserved: flat[i + 1]))
            i += 2
        }
        return result
    }
}
