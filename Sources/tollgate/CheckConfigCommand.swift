import ArgumentParser
import Foundation
import Logging
import TollgateCore

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config as `serve` would (YAML, models, keys, plugins), without serving.")

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    func run() throws {
        let loaded = ConfigLoading.loadOrExit(config)
        var quiet = Logger(label: "tollgate.check-config")
        quiet.logLevel = .error
        do {
            // Loads and creates every plugin exactly as serve would, then
            // tears them down.
            let gateway = try Gateway(config: loaded, logger: quiet, eventLoopThreads: 1)
            gateway.shutdown(grace: .milliseconds(0))
        } catch {
            ConfigLoading.printError("\(error)")
            throw ExitCode(1)
        }
        print("\(loaded.sourcePath): OK (\(loaded.catalog.entries.count) models, \(loaded.keys.count) keys, \(loaded.plugins.count) plugins)")
    }
}
