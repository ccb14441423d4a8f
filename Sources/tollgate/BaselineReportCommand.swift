import TollgateConfig
import ArgumentParser
import Foundation
import TollgateReports
import TollgateUnits

struct BaselineReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Per team and feature, the daily spend baseline and the grant to suggest at finance.baseline_suggest_percent of it.",
        discussion: """
            The window is whole UTC days: --days N (default 60) ending at --to (a date, exclusive; default today, so the \
            window is the N days before today), or --period (a month or quarter), or --from/--to. The baseline is the \
            median day of admitted spend (every row but the refused) from the subject's first admitted request to the \
            end of the window, days without traffic counting as zero; mean and p90 day beside it. The suggested daily \
            grant is the baseline times finance.baseline_suggest_percent (default 140); the monthly one is that times 30. \
            Run the window while the budget is in mode: observe, so nothing was refused.
            """)

    @OptionGroup var options: FinanceReportOptions

    @Option(name: .long, help: "Days in the window, counted back from --to (default 60).")
    var days: Int?

    func run() throws {
        var rest = options
        rest.period = nil
        rest.from = nil
        rest.to = nil
        let inputs = try rest.resolve(command: "report baseline")
        let window = try self.window(nowSeconds: inputs.nowSeconds)
        do {
            _ = try LedgerFile.openForReading(inputs.ledgerPath)
            let report = try BaselineReport.run(ledgerAt: inputs.ledgerPath, window: window,
                                                percent: inputs.config.finance.baselineSuggestPercent)
            inputs.print(report.table)
        } catch {
            ConfigLoading.printError("tollgate report baseline: \(error)")
            throw ExitCode(1)
        }
    }

    /// Whole UTC days: midnights at or before the dates given.
    func window(nowSeconds: Int64) throws -> LedgerTimeRange {
        let day: Int64 = 86_400_000_000
        func midnight(_ micros: Int64) -> Int64 { UTCCalendar.floorDiv(micros, day) * day }
        do {
            if let period = options.period {
                guard days == nil, options.from == nil, options.to == nil else {
                    throw ValidationError("give --period alone, or --days with --to, or --from with --to")
                }
                let chosen = try ReportPeriod.parse(period, nowSeconds: nowSeconds)
                return LedgerTimeRange(from: chosen.fromMicros, to: chosen.toMicros)
            }
            let end = try options.to.map { midnight(try ReportTime.parseMicros($0)) } ?? midnight(nowSeconds * 1_000_000)
            if let from = options.from {
                guard days == nil else { throw ValidationError("give --days or --from, not both") }
                let start = midnight(try ReportTime.parseMicros(from))
                guard end > start else { throw ValidationError("--to must be at least a day after --from (whole UTC days)") }
                return LedgerTimeRange(from: start, to: end)
            }
            let count = days ?? 60
            guard (1...3_660).contains(count) else { throw ValidationError("--days must be between 1 and 3660, got \(count)") }
            return BaselineReport.window(days: count, endingAt: end)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
