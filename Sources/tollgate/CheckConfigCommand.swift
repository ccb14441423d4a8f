import ArgumentParser
import Foundation
import Logging
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config as `serve` would (YAML, models, keys, plugins), without serving.")

    @Argument(help: "The YAML config file (or give it with --config).")
    var file: String?

    @Option(name: .long, help: "The YAML config file.")
    var config: String?

    func validate() throws {
        switch (file, config) {
        case (nil, nil): throw ValidationError("Give the config file: `tollgate check-config FILE` or `--config FILE`.")
        case (.some(let a), .some(let b)) where a != b:
            throw ValidationError("Two config files given ('\(a)' and --config '\(b)'); give one.")
        default: break
        }
    }

    func run() throws {
        let loaded = ConfigLoading.loadOrExit(file ?? config!)
        var quiet = Logger(label: "tollgate.check-config")
        quiet.logLevel = .error
        var minted: [GrantProblem] = []
        var storageWarnings: [String] = []
        do {
            // The stores as serve would open them, but never changed (no
            // migration): with postgres, the database must answer.
            let (storage, warnings) = try GatewayStorage.openForCheck(loaded, logger: quiet)
            storageWarnings = warnings
            // Loads and creates every plugin exactly as serve would, then
            // tears them down.
            let gateway = try Gateway(config: loaded, logger: quiet, eventLoopThreads: 1, storage: storage)
            // The grants minted at run time (in the storage directory), set
            // against this config: one whose parent the file dropped stands
            // alone until the parent is back.
            minted = gateway.services.governance.current.table.problems
            try runBlocking { await gateway.shutdown(grace: .zero) }
        } catch {
            ConfigLoading.printError("\(error)")
            throw ExitCode(1)
        }
        for warning in loaded.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        for warning in storageWarnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        for problem in minted { FileHandle.standardError.write(Data("warning: minted grant \(problem.grantID): \(problem.message)\n".utf8)) }
        print("\(loaded.sourcePath): OK (\(loaded.catalog.entries.count) models, \(loaded.keys.count) keys, "
            + "\(loaded.grants.count) grants, \(loaded.credentials.count) credentials, \(loaded.plugins.count) plugins)")
    }
}
