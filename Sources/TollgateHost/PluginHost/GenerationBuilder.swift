import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Builds a generation from a config: resolves, opens and creates every
/// plugin in order, and gathers the routes they declare. Any failure (two
/// plugins declaring one route included) undoes what was built and throws,
/// so a bad config never replaces a good generation.
package struct GenerationBuilder {
    let services: HostServices
    let onDrained: @Sendable (Generation) -> Void

    package init(services: HostServices, onDrained: @escaping @Sendable (Generation) -> Void) {
        self.services = services
        self.onDrained = onDrained
    }

    package func build(config: TollgateConfig, id: Int) throws -> Generation {
        var instances: [PluginInstance] = []
        var routes = PluginRoutes()
        var locations: [String: String] = [:]
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
                    do {
                        try routes.add(instance)
                    } catch let conflict as PluginRoutes.Conflict {
                        instance.destroy()  // its library is released below
                        let first = locations[conflict.first].map { " (\($0))" } ?? ""
                        throw PluginLoadError(plugin: entry.instanceName, file: path,
                                              reason: "declares the route \(conflict.route.key), which plugin '\(conflict.first)'\(first) "
                                                  + "already serves; two plugins cannot serve one route (remove one, or give one another path)")
                    }
                    instances.append(instance)
                    locations[instance.instanceName] = entry.location.description
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
        return Generation(id: id, config: config, plugins: instances, routes: routes, onDrained: onDrained)
    }
}
