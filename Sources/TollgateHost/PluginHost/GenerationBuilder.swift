import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite

/// Builds a generation from a config: resolves, opens and creates every
/// plugin in order. Any failure undoes what was built and throws, so a bad
/// config never replaces a good generation.
public struct GenerationBuilder {
    let services: HostServices
    let onDrained: @Sendable (Generation) -> Void

    public init(services: HostServices, onDrained: @escaping @Sendable (Generation) -> Void) {
        self.services = services
        self.onDrained = onDrained
    }

    public func build(config: TollgateConfig, id: Int) throws -> Generation {
        var instances: [PluginInstance] = []
        if !config.plugins.isEmpty {
            try? FileManager.default.createDirectory(atPath: config.storage.dir, withIntermediateDirectories: true)
        }
        do {
            for entry in config.plugins {
                let path = try PluginLocator.resolve(entry).get()
                let library: PluginLibrary
                do {
                    library = try services.libraries.acquire(path: path, pluginName: entry.instanceName)
                } catch var error as PluginLoadError {
                    error.configLocation = entry.location.description
                    throw error
                }
                do {
                    let instance = try PluginInstance(instanceName: entry.instanceName, library: library,
                                                      failClosed: entry.fail.map { $0 == .closed }, config: entry.config,
                                                      services: services, catalog: config.catalog,
                                                      storageDirectory: config.storage.dir, configPath: config.sourcePath)
                    instances.append(instance)
                } catch var error as PluginLoadError {
                    services.libraries.release(library)
                    error.configLocation = entry.location.description
                    throw error
                }
            }
        } catch {
            for instance in instances.reversed() {
                instance.destroy()
                services.libraries.release(instance.library)
            }
            throw error
        }
        return Generation(id: id, config: config, plugins: instances, onDrained: onDrained)
    }
}
