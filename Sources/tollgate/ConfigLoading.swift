import Foundation
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

/// Loads a config for a command, printing every error as
/// `file:line:column: message` and exiting 1 on any.
enum ConfigLoading {
    static func loadOrExit(_ path: String) -> TollgateConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch let errors as ConfigErrors {
            for error in errors.errors { printError(error.description) }
            exit(1)
        } catch {
            printError("\(path): \(error)")
            exit(1)
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
