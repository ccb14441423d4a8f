import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// Reads, decodes and validates a config file. Every problem found is
/// reported at once, each as `file:line:column: message`.
package enum ConfigLoader {
    static let topLevelKeys = ["server", "storage", "models", "orgs", "grants", "credentials", "capacity", "exceptions",
                               "burst_pools", "finance", "plugins", "alerts", "providers"]

    /// Throws `ConfigErrors`, including when the file cannot be read.
    package static func load(path: String) throws -> TollgateConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigErrors(errors: [ConfigError(file: path,
                message: exists ? "cannot read the config file (check its permissions)" : "no config file at this path")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(errors: [ConfigError(file: path, message: "the config file is not valid UTF-8")])
        }
        return try parse(yaml: text, file: path)
    }

    /// Relative paths in the YAML resolve against the directory of `file`
    /// (itself resolved against the working directory when relative).
    package static func parse(yaml: String, file: String) throws -> TollgateConfig {
        let absolute = ConfigDecoder.resolve(file, against: FileManager.default.currentDirectoryPath)
        let directory = URL(fileURLWithPath: absolute).deletingLastPathComponent().path

        let parsed: YAMLParser.Output
        do {
            parsed = try YAMLParser.parse(yaml, file: file)
        } catch let error as ConfigError {
            throw ConfigErrors(errors: [error])
        }
        let decoder = ConfigDecoder(file: file, baseDirectory: directory)
        let root = parsed.root ?? YAMLNode(.scalar(YAMLScalar(text: "", style: .plain)),
                                           at: SourceLocation(file: file, line: 1, column: 1))
        let top = decoder.fields(root, context: "the top level", expected: "a mapping of settings (server, models, orgs, ...)",
                                 allowed: topLevelKeys)
        let server = decoder.decodeServer(top?["server"])
        let storage = decoder.decodeStorage(top?["storage"])
        let providers = decoder.decodeProviders(top?["providers"])
        let (models, modelNames) = top.map { decoder.decodeModels($0["models"], document: root, providers: providers) } ?? ([], [])
        var keys = decoder.decodeOrgs(top?["orgs"], modelNames: modelNames)
        let grants = decoder.decodeGrants(top?["grants"])
        let credentials = decoder.decodeCredentials(top?["credentials"], seen: &keys.seen)
        let capacity = decoder.decodeCapacity(top?["capacity"], modelNames: modelNames)
        let exceptionPolicy = decoder.decodeExceptionPolicy(top?["exceptions"])
        let burstPools = decoder.decodeBurstPools(top?["burst_pools"], orgs: keys.orgs)
        let finance = decoder.decodeFinancePolicy(top?["finance"])
        let placements = Dictionary(keys.entries.map { ($0.identity.keyId, KeyPlacement(org: $0.identity.org, team: $0.identity.team,
                                                                                         grant: $0.identity.grant)) },
                                    uniquingKeysWith: { a, _ in a })
        let governance = GovernanceCheck(grants: grants, keys: placements, credentials: credentials.map(\.credential),
                                         orgs: keys.orgs, capacity: capacity, file: file)
        for problem in governance.errors { decoder.fail(problem.location ?? root.location, problem.message) }
        let plugins = decoder.decodePlugins(top?["plugins"])
        let alerts = decoder.decodeAlerts(top?["alerts"])

        let errors = parsed.problems + decoder.errors
        if !errors.isEmpty { throw ConfigErrors(errors: sortedByPosition(errors)) }
        var config = TollgateConfig(sourcePath: absolute, server: server, storage: storage,
                                    catalog: ModelCatalog(entries: models), keys: KeyStore(entries: keys.entries),
                                    orgs: keys.orgs, plugins: plugins, alerts: alerts)
        config.grants = grants
        config.credentials = credentials
        config.capacity = capacity
        config.exceptionPolicy = exceptionPolicy
        config.burstPools = burstPools
        config.finance = finance
        config.keyPlacements = placements
        config.warnings = governance.warnings
        return config
    }

    /// File order; a stable sort keeps messages about one spot in the order found.
    private static func sortedByPosition(_ errors: [ConfigError]) -> [ConfigError] {
        errors.enumerated().sorted { a, b in
            let la = a.element.location.map { ($0.line, $0.column) } ?? (0, 0)
            let lb = b.element.location.map { ($0.line, $0.column) } ?? (0, 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }
}
