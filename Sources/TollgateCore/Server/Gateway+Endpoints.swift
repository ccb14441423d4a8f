import NIOCore
import NIOHTTP1
import TollgateJSON

/// The non-proxy endpoints: the model list and the admin API.
extension Gateway {
    func serveModels(head: HTTPRequestHead, writer: ResponseWriter) {
        let generation = generations.pin()
        defer { generation.unpin() }
        let now = MonotonicClock.wallMicros() / 1_000_000
        let identity: Identity
        switch generation.keys.authenticate(presentedKey: ProxyCall.presentedKey(head.headers), now: now) {
        case .authenticated(let id): identity = id
        case .missing: return writer.sendError(.authentication("Missing API key.", code: "missing_api_key"), dialect: .openai)
        case .unknown: return writer.sendError(.authentication("Invalid API key."), dialect: .openai)
        case .expired(let id):
            return writer.sendError(.authentication("This API key (\(id.keyId)) has expired.", code: "expired_api_key"), dialect: .openai)
        }
        var data: [JSONValue] = []
        for entry in generation.catalog.entries where identity.allows(model: entry.name) {
            data.append(.object(JSONObject([
                ("id", .string(entry.name)), ("object", .string("model")), ("created", .int(0)),
                ("owned_by", .string(entry.provider.rawValue)),
            ])))
        }
        let list = JSONValue.object(JSONObject([("object", .string("list")), ("data", .array(data))]))
        writer.sendJSON(status: 200, list.serialized())
    }

    /// `/admin/...`, behind the master key: the core's own routes, then the
    /// routes plugins declared (PluginRoutes).
    func serveAdmin(method: HTTPMethod, path: String, head: HTTPRequestHead, body: ByteBuffer?, writer: ResponseWriter) {
        let generation = generations.pin()
        defer { generation.unpin() }
        guard let master = generation.config.masterKey() else {
            return writer.sendError(GatewayError(status: 403, type: "permission_error", code: "admin_disabled",
                                                 message: "Admin endpoints are disabled: set server.master_key_env and that environment variable."),
                                    dialect: .openai)
        }
        guard let presented = ProxyCall.presentedKey(head.headers), ConstantTime.equal(presented, master) else {
            return writer.sendError(.authentication("Admin endpoints need the master key.", code: "invalid_master_key"), dialect: .openai)
        }
        switch (method, path) {
        case (.GET, "/admin/reload"):
            writer.sendJSON(status: 200, reloadStatusJSON())
        case (.POST, "/admin/reload"):
            let loop = writer.context.eventLoop
            reload { attempt in
                loop.execute {
                    let body = self.reloadStatusJSON()
                    writer.sendJSON(status: attempt.succeeded ? 200 : 422, body)
                }
            }
        case (.GET, "/admin/plugins"):
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
                ("images_open", .int(services.libraries.openImageCount)),
                ("images_retired", .int(services.libraries.retiredImageCount)),
            ])
            writer.sendJSON(status: 200, JSONValue.object(result).serialized())
        case (.GET, "/admin/counters"):
            serveCounters(writer: writer)
        default:
            let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            switch generation.routes.answer(method: method.rawValue, path: path, query: query,
                                            body: body.map { Array($0.readableBytesView) } ?? [], caller: .admin) {
            case .response(let status, let contentType, let bytes)?:
                writer.send(status: status, headers: [("content-type", contentType)], body: bytes)
            case .error(let error)?:
                writer.sendError(error, dialect: .openai)
            case nil:
                writer.sendError(.notFound("No admin route for \(method) \(path)."), dialect: .openai)
            }
        }
    }
}

/// Comparison whose time does not depend on where the strings differ.
enum ConstantTime {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}
