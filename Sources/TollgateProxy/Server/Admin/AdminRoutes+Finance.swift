import Foundation
import NIOCore
import NIOHTTP1
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateReports

/// Forecasts and the finance reports (docs/finance.md):
///   GET  /admin/forecasts                               every team's forecasts (a credential sees its scope)
///   POST /admin/forecasts                               {team, period, amount, peak_multiplier, events, note} (team admin, master)
///   GET  /admin/finance/chargeback?period=&by=&format=  `tollgate report chargeback`
///   GET  /admin/finance/forecast?period=&format=        `tollgate report forecast`
///   GET  /admin/finance/focus?period=&format=csv|json     `tollgate report focus` (a download)
/// The reports run the same code as the CLI (TollgateReports) on the
/// gateway's ledger, narrowed to the caller's scope, off the event loop;
/// `format` is json (default), csv or markdown — what the dashboard's
/// export buttons download.
extension AdminRoutes {
    static func finance(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) -> Bool {
        let registry = request.gateway.services.governance
        switch (request.head.method, request.path) {
        case (.GET, "/admin/forecasts"):
            let visible = registry.forecastList.filter { forecast in
                let parts = forecast.team.split(separator: "/").map(String.init)
                return FinanceScope(actor.credential?.scope).covers(org: parts.first, team: parts.last)
            }
            sendGovernanceJSON(request, 200, .object(JSONObject([("forecasts", .array(visible.map(forecastJSON)))])))
        case (.POST, "/admin/forecasts"):
            performGovernance(request, actor: actor, created: true) { body in
                forecastJSON(try registry.submitForecast(body, by: actor))
            }
        case (.GET, "/admin/finance/chargeback"):
            let by = request.queryValue("by") ?? "team"
            guard let grouping = ChargebackReport.Grouping(rawValue: by) else {
                request.writer.sendError(.invalidField("by", "by: one of \(ChargebackReport.Grouping.names), got '\(by)'."),
                                         dialect: .unrouted)
                return true
            }
            report(request, generation, actor: actor) { inputs in
                try ChargebackReport.run(config: inputs.config, grants: registry.current.table, ledgerPath: try inputs.ledgerPath(),
                                                period: inputs.period, by: grouping, scope: inputs.scope,
                                                outcomes: request.gateway.services.outcomes.totals).table
            }
        case (.GET, "/admin/finance/forecast"):
            report(request, generation, actor: actor) { inputs in
                try ForecastReport.run(config: inputs.config, grants: registry.current.table, ledgerPath: try inputs.ledgerPath(),
                                       period: inputs.period, forecasts: registry.forecastList, scope: inputs.scope).table
            }
        case (.GET, "/admin/finance/focus"):
            focus(request, generation, actor: actor)
        default:
            return false
        }
        return true
    }

    /// The FOCUS export of the period, narrowed to the caller's scope, as
    /// a download (CSV by default).
    private static func focus(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) {
        guard let format = FocusExport.Format(rawValue: request.queryValue("format") ?? "csv") else {
            return request.writer.sendError(.invalidField("format", "format: csv or json."), dialect: .unrouted)
        }
        guard let inputs = reportInputs(request, generation, actor: actor) else { return }
        let config = generation.config
        respondOffLoop(request) {
            let range = LedgerTimeRange(from: inputs.period.fromMicros, to: inputs.period.toMicros)
            let charges = try FocusExport.charges(ledgerAt: try inputs.ledgerPath(), range: range).narrowed(to: inputs.scope)
            let body = FocusExport(config: config).render(charges, range: range, format: format)
            let name = "tollgate-focus-\(inputs.period.description.replacingOccurrences(of: "..", with: "_")).\(format.rawValue)"
            return (format == .csv ? "text/csv; charset=utf-8" : "application/json",
                    [("content-disposition", "attachment; filename=\"\(name)\"")], Array(body.utf8))
        }
    }

    struct ReportInputs {
        var config: TollgateConfig
        var ledger: LedgerStore
        var period: ReportPeriod
        var scope: FinanceScope

        /// The ledger file to read: what was appended so far committed (on
        /// postgres, the read copy synced). Blocks: off the event loop only.
        func ledgerPath() throws -> String {
            do {
                return try ledger.readablePath()
            } catch {
                throw GovernanceError.unavailable("\(error)")
            }
        }
    }

    /// Reads period and format, runs `build` on a worker thread (a report
    /// scans the ledger), answers in the asked format.
    private static func report(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor,
                               _ build: @escaping @Sendable (ReportInputs) throws -> ReportTable) {
        let format = ReportFormat(rawValue: request.queryValue("format") ?? "json")
        guard let format, format != .table else {
            return request.writer.sendError(.invalidField("format", "format: json, csv or markdown."), dialect: .unrouted)
        }
        guard let inputs = reportInputs(request, generation, actor: actor) else { return }
        respondOffLoop(request) {
            let table = try build(inputs)
            let contentType: String
            switch format {
            case .csv: contentType = "text/csv; charset=utf-8"
            case .markdown: contentType = "text/markdown; charset=utf-8"
            default: contentType = "application/json"
            }
            return (contentType, [], Array(format.render(table).utf8))
        }
    }

    /// The period (`period`, or `from`/`to`), the ledger and the caller's
    /// scope; nil when it answered an error.
    private static func reportInputs(_ request: RoutedRequest, _ generation: Generation, actor: GovernanceActor) -> ReportInputs? {
        let now = MonotonicClock.wallMicros() / 1_000_000
        let period: ReportPeriod
        do {
            period = try ReportPeriod.resolve(period: request.queryValue("period"), from: request.queryValue("from"),
                                              to: request.queryValue("to"), nowSeconds: now)
        } catch {
            request.writer.sendError(.invalidField("period", "\(error)"), dialect: .unrouted)
            return nil
        }
        guard let ledger = request.gateway.services.ledger else {
            request.writer.sendError(.notFound("No ledger: the config has no tagging plugin, or its ledger is off.", code: "no_ledger"),
                                     dialect: .unrouted)
            return nil
        }
        return ReportInputs(config: generation.config, ledger: ledger, period: period, scope: FinanceScope(actor.credential?.scope))
    }

    /// Runs `produce` on a worker thread (it reads the ledger) and answers
    /// with what it made, or its error, back on the request's event loop.
    private static func respondOffLoop(_ request: RoutedRequest,
                                       _ produce: @escaping @Sendable () throws -> (String, [(String, String)], [UInt8])) {
        let eventLoop = request.eventLoop
        let writer = NIOLoopBound(request.writer, eventLoop: eventLoop)
        DispatchQueue.global().async {
            let answer = Result { try produce() }
            eventLoop.execute {
                switch answer {
                case .success(let (contentType, headers, body)):
                    writer.value.send(status: 200, headers: [("content-type", contentType)] + headers, body: body)
                case .failure(let error as GovernanceError):
                    writer.value.sendError(gatewayError(error), dialect: .unrouted)
                case .failure(OutcomeStoreError.unavailable(let message)):
                    writer.value.sendError(GatewayError(status: 503, type: "api_error", code: "storage_unavailable", message: message),
                                           dialect: .unrouted)
                case .failure(let error):
                    writer.value.sendError(.internalError("The report failed: \(error)"), dialect: .unrouted)
                }
            }
        }
    }

    static func forecastJSON(_ f: Forecast) -> JSONValue {
        .object(JSONObject([
            ("team", .string(f.team)), ("period", .string(f.period)),
            ("amount", .string(Money.format(nanos: f.amountNanos))), ("amount_nanos", .int(f.amountNanos)),
            ("peak_multiplier", f.peakMultiplierHundredths.map { .string(ForecastReport.multiplier($0)) } ?? .null),
            ("events", .array(f.events.map(JSONValue.string))), ("note", f.note.map(JSONValue.string) ?? .null),
            ("submitted_by", .string(f.submittedBy)), ("submitted_at", .string(UTCCalendar.iso8601(f.submittedAt))),
        ]))
    }
}
