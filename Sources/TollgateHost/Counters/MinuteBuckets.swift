import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Spent over a sliding 60 s, in 60 one-second buckets.
///
/// Burst bound: at time t the window counts the buckets of the whole
/// seconds floor(t)-59 ... floor(t), i.e. between 59 and 60 s of real time.
/// So any 60 consecutive whole seconds, and any real interval of at most
/// 59 s, hold at most the limit; an arbitrary real 60 s interval can hold up
/// to twice the limit in the worst case (a full limit taken at the very end
/// of one second and again 59.001 s later, when that second's bucket
/// expires).
package struct MinuteBuckets: Equatable {
    private var seconds = [Int64](repeating: Int64.min, count: 60)
    private var amounts = [Int64](repeating: 0, count: 60)

    private static func slot(_ second: Int64) -> Int { Int(UTCCalendar.floorMod(second, 60)) }

    /// Adds `amount` to the bucket of `second`, if that second is still in
    /// the window ending at `now`.
    mutating func add(_ amount: Int64, at second: Int64, now: Int64) {
        guard second > now - 60, second <= now else { return }
        let i = Self.slot(second)
        if seconds[i] != second {
            seconds[i] = second
            amounts[i] = 0
        }
        amounts[i] = Saturating.add(amounts[i], amount)
    }

    /// The sum over the 60 s ending at `now`.
    func total(now: Int64) -> Int64 {
        var sum: Int64 = 0
        for i in 0..<60 where seconds[i] > now - 60 && seconds[i] <= now { sum = Saturating.add(sum, amounts[i]) }
        return sum
    }

    /// Milliseconds from `nowMs` until enough buckets expire that `excess`
    /// is freed; 0 if they never would.
    func millisecondsUntilFreed(_ excess: Int64, nowMs: Int64) -> Int64 {
        let now = UTCCalendar.floorDiv(nowMs, 1000)
        let live = (0..<60).filter { seconds[$0] > now - 60 && seconds[$0] <= now }.sorted { seconds[$0] < seconds[$1] }
        var freed: Int64 = 0
        for i in live {
            freed = Saturating.add(freed, amounts[i])
            if freed >= excess { return max(1, (seconds[i] + 60) * 1000 - nowMs) }
        }
        return 0
    }
}
