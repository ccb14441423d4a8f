import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider
import TollgateABI

/// `GET /admin/plugins`: the serving generation's plugin instances.
extension AdminRoutes {
    static func plugins(_ request: RoutedRequest, _ generation: Generation) {
        let libraries = request.gateway.services.libraries
        let plugins: [JSONValue] = generation.plugins.map { plugin in
            .object(JSONObject([
                ("instance", .string(plugin.instanceName)), ("name", .string(plugin.library.name)),
                ("version", .string(plugin.library.version)), ("path", .string(plugin.library.sourcePath)),
                ("fail", .string(plugin.failClosed ? "closed" : "open")),
                ("hooks", .array([
                    plugin.preCall != nil ? "pre_call" : nil, plugin.onChunk != nil ? "on_chunk" : nil,
                    plugin.postCall != nil ? "post_call" : nil, plugin.onRoute != nil ? "on_route" : nil,
                ].compactMap { $0.map(JSONValue.string) })),
                ("routes", .array(plugin.routes.map { .string($0.key) })),
            ]))
        }
        let result = JSONObject([
            ("generation", .int(generation.id)), ("plugins", .array(plugins)),
            ("images_open", .int(libraries.openImageCount)),
            ("images_retired", .int(libraries.retiredImageCount)),
        ])
        request.writer.sendJSON(status: 200, JSONValue.object(result).serialized())
    }
}
