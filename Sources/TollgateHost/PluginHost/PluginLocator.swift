import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Finds the library of a first-party plugin named in YAML (`name: budget`
/// → `libtollgate_budget.so`): in $TOLLGATE_PLUGIN_DIR, next to the running
/// binary, then in ../lib/tollgate relative to it.
package enum PluginLocator {
    package static func libraryFileName(forName name: String) -> String {
        "libtollgate_" + name.replacingOccurrences(of: "-", with: "_") + ".so"
    }

    package static func searchDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var directories: [String] = []
        if let dir = environment["TOLLGATE_PLUGIN_DIR"], !dir.isEmpty { directories.append(dir) }
        let executable = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        let binDir = executable.deletingLastPathComponent().path
        directories.append(binDir)
        directories.append(URL(fileURLWithPath: binDir).appendingPathComponent("../lib/tollgate").standardized.path)
        return directories
    }

    /// The path to load, or an error listing where it looked.
    package static func resolve(_ entry: PluginEntry) -> Result<String, PluginLoadError> {
        if let path = entry.path { return .success(path) }
        let name = entry.name ?? entry.instanceName
        let file = libraryFileName(forName: name)
        let directories = searchDirectories()
        for directory in directories {
            let candidate = directory + "/" + file
            if FileManager.default.fileExists(atPath: candidate) { return .success(candidate) }
        }
        return .failure(PluginLoadError(plugin: name, file: file,
                                        reason: "no first-party plugin of that name; looked in \(directories.joined(separator: ", ")) (set TOLLGATE_PLUGIN_DIR, or give `path:`)",
                                        configLocation: entry.location.description))
    }
}
