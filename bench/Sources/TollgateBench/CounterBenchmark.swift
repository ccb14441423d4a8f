import Foundation
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

extension Benchmarks {
    /// The counter store alone: reserve on 3 counters (org, team, key) then
    /// settle, from several threads at once, memory only and with the SQLite
    /// journal (group commit). `tollgate-bench counters [ops-per-thread] [threads]`.
    static func counters(_ arguments: [String]) {
        let perThread = Int(arguments.first ?? "") ?? 200_000
        let threads = Int(arguments.dropFirst().first ?? "") ?? 2
        let dir = NSTemporaryDirectory() + "tollgate-bench-counters-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for persisted in [false, true] {
            let journal = persisted ? try! SpentJournal(path: dir + "/counters.db") : nil
            let store = CounterStore(persistence: journal)
            let org = try! store.declare(CounterSpec(name: "budget:org/acme:monthly", limit: Int64.max / 4, window: .month, persist: true))
            // One team and one key per thread, as different callers would be.
            let paths = (0..<threads).map { t in
                [org,
                 try! store.declare(CounterSpec(name: "budget:team/acme/t\(t):daily", limit: Int64.max / 4, window: .day, persist: true)),
                 try! store.declare(CounterSpec(name: "budget:key/k\(t):total", limit: Int64.max / 4, window: .none, persist: true))]
            }
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let ids = paths[t]
                for i in 0..<perThread {
                    let amount = Int64(1000 + i % 100)
                    guard case .reserved(let r) = try! store.reserve([(ids[0], amount), (ids[1], amount), (ids[2], amount)]) else {
                        fatalError("refused")
                    }
                    _ = try! store.settle(r, actual: [amount / 2, amount / 2, amount / 2])
                }
            }
            let reserveSettle = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            store.close()  // commits what is queued
            let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let ops = perThread * threads
            print(String(format: "counters (%@): %d reserve+settle over 3 counters on %d threads in %.3fs = %.0f per second"
                         + "%@", persisted ? "SQLite journal" : "memory only", ops, threads, reserveSettle,
                         Double(ops) / reserveSettle,
                         persisted ? String(format: " (%.3fs until all committed, %.0f per second)", total, Double(ops) / total) : ""))
        }
    }
}
