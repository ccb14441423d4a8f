import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Why a plugin could not be loaded or created. Printed by `serve`,
/// `check-config` and reload as `file:line:column: plugin 'x' (path): reason`.
package struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    package var plugin: String
    package var file: String
    package var reason: String
    /// Where the plugin entry sits in the config, when known.
    package var configLocation: String?

    package init(plugin: String, file: String, reason: String, configLocation: String? = nil) {
        self.plugin = plugin
        self.file = file
        self.reason = reason
        self.configLocation = configLocation
    }

    package var description: String {
        let prefix = configLocation.map { "\($0): " } ?? ""
        return "\(prefix)plugin '\(plugin)' (\(file)): \(reason)"
    }
}
