import TollgatePluginKit

/// Attribution and the chargeback ledger. pre_call: sets the key's
/// identity and the request's tags (headers, body metadata, taxonomy
/// defaults) as request attributes, so routing and budgets can use them,
/// and enforces the required taxonomy (400, or tag `untagged` by policy).
/// post_call: appends one ledger row per request it entered — success,
/// upstream error, reject (by which plugin, why), aborted stream — through
/// the host (ABI 1.6 ledger_append), which keeps the ledger on whichever
/// storage backend the gateway runs.
///
/// The ledger is complete only when tagging is FIRST in `plugins:`: a
/// plugin gets post_call only for requests its pre_call saw, so a request
/// refused by an earlier plugin would leave no row (docs/plugins/tagging.md).
public final class Tagging: TollgatePlugin, PreCallHook, PostCallHook, RouteHook {
    /// ABI 1.6: the ledger is the host's (ledger_append, ledger_read).
    public static let info = PluginInfo(name: "tagging", version: "1.0.0", failClosed: false, requiredMinor: 6)

    let host: PluginHost
    let config: TaggingConfig
    /// Rows go to the host's ledger (false with `ledger: false`).
    let writesLedger: Bool
    /// The grant table, for the grants each row records; nil on a host
    /// without grants (before ABI 1.5).
    let grants: GrantCache?
    let rowsMetric: Metric
    let lostRowsMetric: Metric
    let refusedMetric: Metric
    let untaggedMetric: Metric

    public init(host: PluginHost, config json: JSONValue) throws {
        self.host = host
        config = try TaggingConfig(json: json)
        rowsMetric = try host.defineCounter(name: "tollgate_ledger_rows_total",
                                            help: "Ledger rows queued, by outcome", labels: ["outcome"])
        lostRowsMetric = try host.defineCounter(name: "tollgate_ledger_write_errors_total",
                                                help: "Ledger rows that could not be written (see the log)")
        refusedMetric = try host.defineCounter(name: "tollgate_tagging_refused_total",
                                               help: "Requests refused by the tag taxonomy")
        untaggedMetric = try host.defineCounter(name: "tollgate_tagging_untagged_total",
                                                help: "Tags recorded as untagged (missing or invalid), by tag",
                                                labels: ["tag"])
        grants = host.hasGrants ? GrantCache(host: host) : nil
        writesLedger = config.ledgerEnabled
        if writesLedger {
            try declareRoutes()
            host.log(.info, "tagging ready: ledger rows go to the host's ledger; keep tagging first in plugins: so every request gets a row")
        } else {
            host.log(.info, "tagging ready: ledger disabled (ledger: false)")
        }
    }

    // MARK: GET /admin/spend

    /// The reader role is ABI 1.5 (grants); without a ledger there is
    /// nothing to serve.
    func declareRoutes() throws {
        if let path = config.spendRoute, writesLedger, host.servesRoutes, host.hasGrants {
            try host.declareRoute("GET", path, role: .reader)
        }
    }

    public func onRoute(_ route: Route) throws -> RouteResponse {
        guard writesLedger else { return SpendSeries.error("the ledger is disabled", status: 404) }
        let view: SpendSeries
        do {
            view = try SpendSeries(query: route.queryValue, callerScope: route.callerScope, now: SpendSeries.wallClock())
        } catch let bad as SpendSeries.BadRequest {
            return SpendSeries.error(bad.message)
        }
        // The host commits what is queued (and on a shared ledger syncs its
        // read copy) first, so the view includes the requests already answered.
        let ledgerPath: String
        do {
            ledgerPath = try host.ledgerReadPath()
        } catch {
            return SpendSeries.error("the ledger cannot be read now (\(error)); try again", status: 503)
        }
        return .json(try view.json(ledgerPath: ledgerPath))
    }
}

@_cdecl("tollgate_plugin_entry_v1")
public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
    PluginExport.entry(Tagging.self, hostMajor: hostMajor, hostMinor: hostMinor)
}
