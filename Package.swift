// swift-tools-version:6.0
import PackageDescription

// First-party plugins: each is an ordinary target under Plugins/NAME and a
// .dynamic library product named tollgate_NAME (so the file next to the
// binary is libtollgate_NAME.so, which is what `name: NAME` in YAML loads).
// A plugin depends on TollgatePluginKit only — never on the gateway's modules.
let firstPartyPlugins: [(product: String, target: String, path: String)] = [
    ("tollgate_budget", "BudgetPlugin", "Plugins/budget"),
    ("tollgate_ratelimit", "RateLimitPlugin", "Plugins/ratelimit"),
    ("tollgate_routing", "RoutingPlugin", "Plugins/routing"),
    ("tollgate_pii_guard", "PIIGuardPlugin", "Plugins/pii-guard"),
    ("tollgate_tagging", "TaggingPlugin", "Plugins/tagging"),
    ("tollgate_anomaly", "AnomalyPlugin", "Plugins/anomaly"),
]

let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

// The server's own modules, in release builds, skip Swift's run-time
// exclusivity checks (a swift_beginAccess call on every access to a class's
// stored property; bench/RESULTS.md has what it costs per request). Debug
// builds, and so every test run, keep them: a violation still traps there.
// Not on the plugin kit and the modules it uses (TollgateJSON,
// TollgateUnits), which live in their own package (tollgate-plugin-kit/):
// a package that other packages depend on may not carry unsafe flags in the
// products they use.
let serverModule: [SwiftSetting] = swift5 + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// The plugin kit (the ABI header, TollgatePluginKit, TollgatePluginTesting,
// TollgateJSON, TollgateUnits) is a package of its own in tollgate-plugin-kit/,
// with no dependencies, so a plugin built elsewhere resolves only it.
func kit(_ product: String) -> Target.Dependency {
    .product(name: product, package: "tollgate-plugin-kit")
}

var products: [Product] = [
    .executable(name: "tollgate", targets: ["tollgate"]),
    .executable(name: "tollgate-bench", targets: ["TollgateBench"]),
    // A plugin built with the kit, loaded by the kit's tests (not shipped).
    .library(name: "tollgate_kit_sample", type: .dynamic, targets: ["KitSamplePlugin"]),
]
var targets: [Target] = [
    // System-library shims.
    .systemLibrary(name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1",
                   providers: [.apt(["libyaml-dev"])]),
    .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                   providers: [.apt(["libsqlite3-dev"])]),
    // libcurl: the upstream transport that speaks HTTP/2, goes through
    // egress proxies and presents client certificates; webhooks and report
    // pulls use it too.
    .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                   providers: [.apt(["libcurl4-openssl-dev"])]),
    // The chargeback ledger's schema: written by the host (rows plugins
    // append, ABI 1.6), read by `tollgate report` and the tagging plugin's
    // spend view. One copy for both sides of the plugin boundary.
    .target(name: "TollgateLedger", swiftSettings: serverModule),
    // SQLite in WAL mode behind one writer thread with group commit. Used by
    // the core (counter store) and by plugins (ledger, anomaly history).
    .target(name: "TollgateSQLite", dependencies: ["CSQLite"], swiftSettings: serverModule),
    // Small helpers every layer uses: clocks, fast random ids, header
    // validation, the version. New code: Swift 6 language mode.
    .target(name: "TollgateSupport", dependencies: [kit("TollgateABI"), .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
    // The provider APIs (one file per dialect), the canonical request view,
    // the gateway's errors, SSE and usage.
    .target(name: "TollgateDialects",
            dependencies: ["TollgateSupport", kit("TollgateJSON"), kit("TollgateUnits"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: serverModule),
    // What the operator wrote: the YAML config, the model catalog and prices, keys.
    .target(name: "TollgateConfig",
            dependencies: ["TollgateSupport", "TollgateDialects", kit("TollgateJSON"), kit("TollgateUnits"), "CYAML",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: serverModule),
    // The plugin host: generations, hook chains, the host API, the counter
    // store, metrics, alerts. No event loops and no sockets.
    .target(name: "TollgateHost",
            dependencies: ["TollgateSupport", "TollgateDialects", "TollgateConfig", "TollgateSQLite", "TollgateLedger",
                           kit("TollgateJSON"), kit("TollgateUnits"), kit("CTollgatePlugin"), kit("TollgateABI"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Atomics", package: "swift-atomics"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: serverModule),
    // The upstream HTTP clients (the NIO HTTP/1.1 one and libcurl's):
    // transports, pools, deployment health.
    .target(name: "TollgateUpstream",
            dependencies: ["TollgateSupport", "CCurl", "TollgateDialects", "TollgateConfig", kit("TollgateJSON"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"),
                           .product(name: "Atomics", package: "swift-atomics"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: serverModule),
    // `tollgate report` and `tollgate reconcile`: spend read from the
    // ledger (Reports), the finance reports over it (Finance: chargeback,
    // forecast, baseline, capacity, FOCUS), and the provider invoice
    // comparison (Reconciliation).
    .target(name: "TollgateReports",
            dependencies: ["TollgateSupport", "TollgateConfig", "TollgateLedger", "TollgateSQLite", "CSQLite", kit("TollgateJSON"), kit("TollgateUnits")],
            swiftSettings: serverModule),
    // The admin-API client and the pure parts of the admin commands
    // (`tollgate allocation`, `grant`, `key`, `exception`, `exceptions`, `burst`,
    // `whoami`): request bodies and output formats, testable without a server;
    // and `demo traffic`'s plan (DemoTraffic.swift).
    .target(name: "TollgateCLI",
            dependencies: [kit("TollgateJSON"), kit("TollgateUnits")],
            swiftSettings: serverModule),
    // The fake OpenAI + Anthropic upstream: `provider: mock`, the demo, tests, benchmarks;
    // and the providers' usage and cost reports of what it served (priced with the catalog).
    .target(name: "TollgateMockProvider",
            dependencies: ["TollgateSupport", "TollgateConfig", "TollgateUpstream", kit("TollgateJSON"), kit("TollgateUnits"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio")],
            swiftSettings: serverModule),
    // The shared stores on PostgreSQL (postgres-nio): migrations, the
    // governance log, the outcomes. Implements TollgateHost's store
    // protocols; the gateway picks it when `storage.backend` is postgres.
    .target(name: "TollgatePostgres",
            dependencies: ["TollgateSupport", "TollgateConfig", "TollgateHost", "TollgateSQLite", "TollgateLedger",
                           kit("TollgateJSON"), kit("TollgateABI"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
    // The server: connections, the router, the proxied call, admin,
    // lifecycle and reload.
    .target(name: "TollgateProxy",
            dependencies: ["TollgateSupport", "TollgateDialects", "TollgateConfig", "TollgateHost", "TollgateSQLite", "TollgatePostgres", "TollgateUpstream", "TollgateReports",
                           "TollgateMockProvider", kit("TollgateJSON"), kit("TollgateUnits"), kit("CTollgatePlugin"), kit("TollgateABI"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOTLS", package: "swift-nio"),
                           .product(name: "Atomics", package: "swift-atomics"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "UnixSignals", package: "swift-service-lifecycle")],
            swiftSettings: serverModule),
    .target(name: "KitSamplePlugin", dependencies: [kit("TollgatePluginKit")], path: "Tests/Fixtures/KitSamplePlugin",
            swiftSettings: swift5),
    .executableTarget(
        name: "tollgate",
        dependencies: [
            "TollgateSupport", "TollgateDialects", "TollgateConfig", "TollgateHost", "TollgatePostgres", "TollgateUpstream", "TollgateReports", "TollgateMockProvider", "TollgateProxy", "TollgateCLI", kit("TollgateUnits"),
            kit("TollgateJSON"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ],
        swiftSettings: serverModule
    ),
    // Micro-benchmarks of core pieces (counter store, scanners...): run by
    // the scripts in bench/, never by the tests.
    .executableTarget(
        name: "TollgateBench",
        dependencies: ["TollgateSupport", "TollgateDialects", "TollgateConfig", "TollgateHost", "TollgateUpstream", "TollgateReports", "TollgateMockProvider", "TollgateProxy", kit("TollgateJSON"), kit("TollgateUnits"), "TollgateSQLite",
                       "TollgateLedger"],
        path: "bench/Sources/TollgateBench",
        swiftSettings: serverModule
    ),
    .testTarget(
        name: "TollgateCoreTests",
        dependencies: ["TollgateSupport", "CCurl", "TollgateDialects", "TollgateConfig", "TollgateHost", "TollgatePostgres", "TollgateUpstream", "TollgateReports", "TollgateMockProvider", "TollgateProxy",
                       "TollgateCLI", kit("TollgateJSON"), kit("TollgateUnits"), "TollgateSQLite", "TollgateLedger", kit("CTollgatePlugin"),
                       kit("TollgateABI"),
                       // The ABI agreement test drives the fake host's table next to the real one.
                       kit("TollgatePluginTesting"),
                       .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                       .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                       .product(name: "NIOSSL", package: "swift-nio-ssl"),
                       .product(name: "NIOEmbedded", package: "swift-nio"),
                       .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
        exclude: ["Fixtures"],
        swiftSettings: swift5
    ),
    // The PostgreSQL stores against a real server: TOLLGATE_TEST_DATABASE_URL
    // (scripts/test.sh starts a throwaway cluster); each test its own database.
    .testTarget(
        name: "TollgatePostgresTests",
        dependencies: ["TollgatePostgres", "TollgateHost", "TollgateConfig", "TollgateSupport", "TollgateSQLite", "TollgateLedger",
                       kit("TollgateJSON"), kit("TollgateUnits"), kit("TollgateABI"),
                       .product(name: "PostgresNIO", package: "postgres-nio"),
                       .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                       .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                       .product(name: "Logging", package: "swift-log")],
        swiftSettings: swift5
    ),
    .testTarget(
        name: "TollgatePluginKitTests",
        dependencies: [kit("TollgatePluginKit"), kit("TollgatePluginTesting"), kit("CTollgatePlugin"), kit("TollgateABI")],
        swiftSettings: swift5
    ),
    // First-party plugins tested in-process through TollgatePluginTesting
    // (they load the built .so files; they must not depend on the plugin
    // targets, which would link a second copy).
    .testTarget(
        name: "FirstPartyPluginTests",
        // TollgateLedger and TollgateSQLite: the fake host's ledger rows
        // written to a ledger file, which `tollgate report spend` reads.
        dependencies: [kit("TollgatePluginTesting"), kit("TollgatePluginKit"), kit("TollgateJSON"), kit("TollgateABI"),
                       "TollgateLedger", "TollgateSQLite"],
        exclude: ["Fixtures"],
        swiftSettings: swift5
    ),
    .testTarget(
        name: "TollgateEndToEndTests",
        dependencies: [
            // Only to make and drop each test's database (PostgreSQL tests).
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        swiftSettings: swift5
    ),
]

for plugin in firstPartyPlugins {
    products.append(.library(name: plugin.product, type: .dynamic, targets: [plugin.target]))
    // The tagging plugin appends ledger rows through the host (ABI 1.6) and
    // reads the host's ledger file for its spend view (TollgateLedger's
    // grouping expressions, TollgateSQLite read-only).
    let extra: [Target.Dependency] = plugin.target == "TaggingPlugin" ? ["TollgateLedger"] : []
    targets.append(.target(name: plugin.target, dependencies: [kit("TollgatePluginKit"), "TollgateSQLite"] + extra,
                           path: plugin.path, swiftSettings: serverModule))
}

let package = Package(
    name: "tollgate",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(path: "tollgate-plugin-kit"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: targets
)
