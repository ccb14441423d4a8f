import ArgumentParser
import Foundation
import TollgateUpstream
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TollgateCLI
import TollgateConfig
import TollgateReports

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare the ledger with the provider's own cost report, by UTC day and model: drift, and unattributed spend (a bypass).",
        discussion: """
            Pulls the provider's cost and usage reports with an organization admin key (OPENAI_ADMIN_KEY, \
            ANTHROPIC_ADMIN_KEY, or --admin-key-env), or reads an exported CSV (--file), and compares them with the \
            ledger's spend of the rows that provider served. Provider models are named as in the catalog (upstream \
            model, then without its date suffix). Matched means within finance.reconcile_tolerance_basis_points of the \
            provider's figure. Unattributed: spend on the provider account the gateway never saw. \
            The period is whole UTC days: --month 2026-11 (the default is the previous month), --period, or --from/--to \
            as dates. See docs/finance.md#reconciliation.
            """)

    @Option(name: .long, help: "openai or anthropic.")
    var provider: String

    @Option(name: .long, help: "The month to reconcile (2026-11); the same as --period.")
    var month: String?

    @OptionGroup var options: FinanceReportOptions

    @Option(name: .long, help: "Read the provider's figures from this exported CSV instead of its API.")
    var file: String?

    @Option(name: .customLong("base-url"), help: "The provider's API (default https://api.openai.com or https://api.anthropic.com; a mock provider's URL in tests).")
    var baseURL: String?

    @Option(name: .customLong("admin-key-env"), help: "The environment variable holding the admin key (default OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY).")
    var adminKeyEnv: String?

    func run() throws {
        guard let provider = ReconcileProvider(rawValue: provider.lowercased()) else {
            throw ValidationError("--provider must be openai or anthropic, got \"\(provider)\"")
        }
        var options = options
        if let month {
            guard options.period == nil else { throw ValidationError("give --month or --period, not both") }
            options.period = month
        }
        let inputs = try options.resolve(command: "reconcile", defaultPeriod: "previous")
        let (from, to) = (inputs.period.fromMicros, inputs.period.toMicros)
        guard from % 86_400_000_000 == 0, to % 86_400_000_000 == 0 else {
            throw ValidationError("reconcile compares whole UTC days: give --from and --to as dates (YYYY-MM-DD)")
        }
        let report: ProviderReport
        do {
            report = try providerReport(provider, fromSeconds: from / 1_000_000, toSeconds: to / 1_000_000)
        } catch let error as ProviderFetchError {
            fail("\(error)", code: { if case .unreachable = error { return 2 } else { return 1 } }())
        } catch {
            fail("\(error)")
        }
        do {
            let ledger = try ReconciliationLedger.cells(ledgerAt: inputs.ledgerPath, fromMicros: from, toMicros: to, provider: provider)
            let result = try Reconciliation.compare(
                ledger: ledger, report: report, models: ProviderModelMap(catalog: inputs.config.catalog, provider: provider),
                toleranceBasisPoints: Int64(inputs.config.finance.reconcileToleranceBasisPoints), fromMicros: from, toMicros: to)
            inputs.print(try result.table(period: inputs.period))
        } catch {
            fail("\(error)")
        }
    }

    /// The provider's figures for [from, to): the file, or its API with the admin key.
    private func providerReport(_ provider: ReconcileProvider, fromSeconds: Int64, toSeconds: Int64) throws -> ProviderReport {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ProviderReportError("cannot read \(file)")
            }
            return try ProviderReportCSV.read(String(decoding: data, as: UTF8.self), name: file, provider: provider)
        }
        let variable = adminKeyEnv ?? provider.adminKeyEnv
        let key = (ProcessInfo.processInfo.environment[variable] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw ProviderReportError("\(variable) is not set: reading \(provider.displayName)'s cost report needs an organization "
                + "admin key (\(provider == .openai ? "sk-admin-..." : "sk-ant-admin...")) in it; or pass --file with an exported CSV")
        }
        let fetch = ProviderReportFetch(provider: provider, baseURL: baseURL, adminKey: key, get: Self.curlGet())
        return try fetch.fetch(fromSeconds: fromSeconds, toSeconds: toSeconds)
    }

    /// A blocking GET through libcurl, with the upstream calls' options:
    /// the egress proxy from the environment (`HTTPS_PROXY`, `NO_PROXY`),
    /// `SSL_CERT_FILE`.
    static func curlGet(timeoutMs: Int = 60_000) -> ProviderReportFetch.Get {
        let client = CurlOneRequest()
        return { url, headers in
            let base = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
            let lower = url.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw ProviderFetchError.unreachable(url: base, reason: "not an http(s) URL (check --base-url)")
            }
            let request = UpstreamRequest(url: url, method: "GET", headers: headers, connectTimeoutMs: Int64(timeoutMs))
            do {
                let answer = try client.perform(request, timeoutMs: timeoutMs)
                return (answer.status, answer.body)
            } catch let failure as UpstreamFailure {
                throw ProviderFetchError.unreachable(url: base, reason: failure.description)
            }
        }
    }

    private func fail(_ message: String, code: Int32 = 1) -> Never {
        ConfigLoading.printError("tollgate reconcile: \(message)")
        Foundation.exit(code)
    }
}
