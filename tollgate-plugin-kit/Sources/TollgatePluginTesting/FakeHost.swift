import TollgatePluginKit

/// The fake host behind `PluginUnderTest`: it records what the plugin
/// logged, measured and raised, and answers prices and costs from a test
/// catalog. Thread-safe (hooks of different calls may run concurrently).
public final class FakeHost: @unchecked Sendable {
    public struct LogLine: Equatable, Sendable {
        public var level: LogLevel?
        public var message: String
        /// The request id when the plugin passed a call.
        public var requestID: String?
    }

    public struct MetricDefinition: Equatable, Sendable {
        public var id: UInt32
        public var kind: Metric.Kind
        public var name: String
        public var help: String
        public var labelNames: [String]
    }

    public struct MetricRecord: Equatable, Sendable {
        public var name: String
        public var kind: Metric.Kind
        public var labels: [String]
        public var value: Double
    }

    /// small: 0.40 / 1.60 / 0.10 USD per Mtok; large: 5 / 15 / 0.50.
    public static let defaultCatalog: [String: Price] = [
        "small": Price(inputPerMtokNanos: 400_000_000, outputPerMtokNanos: 1_600_000_000, cachedPerMtokNanos: 100_000_000),
        "large": Price(inputPerMtokNanos: 5_000_000_000, outputPerMtokNanos: 15_000_000_000, cachedPerMtokNanos: 500_000_000),
    ]

    public let catalog: [String: Price]

    struct Recordings {
        var logs: [LogLine] = []
        var definitions: [MetricDefinition] = []
        var records: [MetricRecord] = []
        /// Series resolved with metric_series (ABI 1.3), by handle - 1.
        var series: [(id: UInt32, labels: [String])] = []
        var alerts: [Alert] = []
        var openCalls = 0
    }

    let recordings = Locked(Recordings())

    /// The host handle's phase (`.create` while on_create runs) and the
    /// routes on_create declared (ABI 1.4): written only during create.
    struct Creation {
        var phase: ABIPhase = .idle
        var hasRouteHook = false
        var routes: [DeclaredRoute] = []
    }

    let creation = Locked(Creation())
    var phase: ABIPhase { creation.withLock { $0.phase } }

    /// A route the plugin declared with declare_route (ABI 1.4).
    public struct DeclaredRoute: Equatable, Sendable {
        public var method: String
        public var path: String
        public var role: RouteRole

        public init(method: String, path: String, role: RouteRole) {
            self.method = method
            self.path = path
            self.role = role
        }
    }

    /// The routes the plugin declared in on_create, in order.
    public var declaredRoutes: [DeclaredRoute] { creation.withLock { $0.routes } }
    /// The counter store (ABI 1.1) the plugin's counters live in; set
    /// `counters.now` to move its clock.
    public let counters = FakeCounters()
    /// The grant table (ABI 1.5): `setGrants`.
    let grantBook = FakeGrantBook()
    /// The ledger (ABI 1.6): `ledgerRows`, `setLedgerReader`.
    let ledger = FakeLedger()

    let hostStringStorage: Locked<HostStringStorage>

    /// `storageDirectory` and `instanceName` are what get_host_string
    /// answers for TOLLGATE_HOST_PROP_STORAGE_DIR and _INSTANCE_NAME.
    public init(catalog: [String: Price] = FakeHost.defaultCatalog, storageDirectory: String = "", instanceName: String = "") {
        self.catalog = catalog
        hostStringStorage = Locked(HostStringStorage(values: Self.defaultHostStrings(storageDirectory: storageDirectory,
                                                                                     instanceName: instanceName)))
    }

    deinit {
        hostStringStorage.withLock { $0.buffers.forEach { $0.deallocate() } }
    }

    public var logs: [LogLine] { recordings.withLock { $0.logs } }
    public var metricDefinitions: [MetricDefinition] { recordings.withLock { $0.definitions } }
    public var metricRecords: [MetricRecord] { recordings.withLock { $0.records } }
    public var alerts: [Alert] { recordings.withLock { $0.alerts } }
    /// The series the plugin resolved to handles (ABI 1.3 metric_series),
    /// as metric name and label values, in the order resolved.
    public var resolvedSeries: [(name: String, labels: [String])] {
        recordings.withLock { r in
            r.series.map { series in (r.definitions.first { $0.id == series.id }?.name ?? "?", series.labels) }
        }
    }
    /// Calls the plugin entered and has not had post_call for yet.
    public var callsAwaitingPostCall: Int { recordings.withLock { $0.openCalls } }

    /// The records of one metric with the given label values.
    public func records(of name: String, labels: [String]? = nil) -> [Double] {
        metricRecords.filter { $0.name == name && (labels == nil || $0.labels == labels!) }.map(\.value)
    }

    /// A metric's current value as a Prometheus scrape would show it: a
    /// counter's sum, a gauge's last value, a histogram's observation sum.
    public func metricValue(_ name: String, labels: [String] = []) -> Double? {
        let matching = metricRecords.filter { $0.name == name && $0.labels == labels }
        guard let last = matching.last else { return nil }
        return last.kind == .gauge ? last.value : matching.reduce(0) { $0 + $1.value }
    }

    /// Forgets logs, metric records and alerts (definitions stay).
    public func clearRecordings() {
        recordings.withLock { r in
            r.logs.removeAll()
            r.records.removeAll()
            r.alerts.removeAll()
        }
    }

    // MARK: The host's money formula

    /// ceil((in*input + out*output + cached*cached) / 1e6) in 128-bit
    /// arithmetic; nil on a negative input or a result beyond Int64 (the
    /// INVALID_ARGUMENT of compute_cost).
    public static func cost(price: Price, tokensIn: Int64, tokensOut: Int64, tokensCached: Int64) -> Int64? {
        let pairs = [(tokensIn, price.inputPerMtokNanos), (tokensOut, price.outputPerMtokNanos),
                     (tokensCached, price.cachedPerMtokNanos)]
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (tokens, perMtok) in pairs {
            guard tokens >= 0, perMtok >= 0 else { return nil }
            let product = UInt64(tokens).multipliedFullWidth(by: UInt64(perMtok))
            let (sum, carry) = low.addingReportingOverflow(product.low)
            low = sum
            high += product.high + (carry ? 1 : 0)  // each product < 2^126: no overflow
        }
        let million: UInt64 = 1_000_000
        guard high < million else { return nil }
        var (quotient, remainder) = million.dividingFullWidth((high: high, low: low))
        if remainder > 0 {
            guard quotient < UInt64.max else { return nil }
            quotient += 1
        }
        guard quotient <= UInt64(Int64.max) else { return nil }
        return Int64(quotient)
    }
}
