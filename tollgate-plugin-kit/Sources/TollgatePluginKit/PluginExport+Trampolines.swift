// The @convention(c) functions the descriptor points at. They are not
// generic: the instance pointer carries everything (a PluginInstance), and
// on_create finds the type through PluginExport.exportedType. No Swift error
// and no unexpected state crosses the C boundary.

enum Trampolines {
    static let create: tollgate_on_create = { api, host, config, instanceOut, errorOut, errorCapacity, errorLenOut in
        Trampolines.createInstance(api, host, config, instanceOut, errorOut, errorCapacity, errorLenOut)
    }

    static let destroy: tollgate_on_destroy = { instance in
        guard let instance else { return }
        let box = Unmanaged<PluginInstance>.fromOpaque(instance).takeRetainedValue()
        box.shutdownHook?.shutdown()
    }

    static let preCall: tollgate_on_pre_call = { instance, call, callState in
        guard let instance, let call, let callState else { return PreCallVerdict.error.rawValue }
        return Unmanaged<PluginInstance>.fromOpaque(instance)._withUnsafeGuaranteedRef { box in
            guard let hook = box.preCallHook else { return PreCallVerdict.continue.rawValue }
            let c = Call(hostAPI: box.host.hostAPI, handle: call, phase: .preCall, stateSlot: callState)
            do {
                return try hook.preCall(c).rawValue
            } catch {
                box.report(error, in: "preCall", call: c)
                return PreCallVerdict.error.rawValue
            }
        }
    }

    static let chunk: tollgate_on_chunk = { instance, call, callState in
        guard let instance, let call else { return ChunkVerdict.error.rawValue }
        return Unmanaged<PluginInstance>.fromOpaque(instance)._withUnsafeGuaranteedRef { box in
            guard let hook = box.chunkHook else { return ChunkVerdict.continue.rawValue }
            var slot = callState
            return withUnsafeMutablePointer(to: &slot) { slotPointer in
                let c = Call(hostAPI: box.host.hostAPI, handle: call, phase: .chunk, stateSlot: slotPointer)
                do {
                    return try hook.onChunk(c).rawValue
                } catch {
                    box.report(error, in: "onChunk", call: c)
                    return ChunkVerdict.error.rawValue
                }
            }
        }
    }

    static let postCall: tollgate_on_post_call = { instance, call, callState in
        // The state is released whatever happens below: post_call is the
        // one place the ABI guarantees to reach.
        defer { if let callState { Unmanaged<AnyObject>.fromOpaque(callState).release() } }
        guard let instance, let call else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return Unmanaged<PluginInstance>.fromOpaque(instance)._withUnsafeGuaranteedRef { box in
            guard let hook = box.postCallHook else { return TOLLGATE_STATUS_OK }
            var slot = callState
            return withUnsafeMutablePointer(to: &slot) { slotPointer in
                let c = Call(hostAPI: box.host.hostAPI, handle: call, phase: .postCall, stateSlot: slotPointer)
                do {
                    try hook.postCall(c)
                    return TOLLGATE_STATUS_OK
                } catch {
                    box.report(error, in: "postCall", call: c)
                    return TOLLGATE_STATUS_INTERNAL
                }
            }
        }
    }

    static let route: tollgate_on_route = { instance, route in
        guard let instance, let route else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
        return Unmanaged<PluginInstance>.fromOpaque(instance)._withUnsafeGuaranteedRef { box in
            guard let hook = box.routeHook else { return TOLLGATE_STATUS_INTERNAL }
            let r = Route(hostAPI: box.host.hostAPI, handle: route)
            do {
                return r.respond(try hook.onRoute(r)).rawValue
            } catch {
                box.host.log(.error, "onRoute \(RouteRules.key(method: r.method, path: r.path)) failed: \(error)")
                return TOLLGATE_STATUS_INTERNAL
            }
        }
    }

    static func createInstance(
        _ api: UnsafePointer<tollgate_type_host_api>?, _ host: OpaquePointer?, _ config: tollgate_type_str,
        _ instanceOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        _ errorOut: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int, _ errorLenOut: UnsafeMutablePointer<Int>?
    ) -> tollgate_type_status {
        func fail(_ message: String, _ status: tollgate_type_status = TOLLGATE_STATUS_INVALID_ARGUMENT) -> tollgate_type_status {
            let written = writeErrorMessage(message, to: errorOut, capacity: errorCapacity)
            errorLenOut?.pointee = written
            return status
        }
        guard let api, let host, let instanceOut else {
            return fail("on_create was called with a NULL api, host or instance_out")
        }
        // The table must hold ABI 1.0's functions; everything added later is
        // checked where it is called (`hostAPI.provides`), so a plugin that
        // needs only 1.0 runs on a 1.0 host. The entry already refused hosts
        // older than the plugin's requiredMinor.
        guard api.pointee.abi_major == UInt16(TOLLGATE_ABI_MAJOR), api.provides(\.set_chunk_raw) else {
            let needed = MemoryLayout<tollgate_type_host_api>.offset(of: \.set_chunk_raw)!
                + MemoryLayout<tollgate_callback_set_chunk_raw?>.size
            return fail("host API table is ABI \(api.pointee.abi_major).\(api.pointee.abi_minor) with struct_size "
                + "\(api.pointee.struct_size); this plugin needs ABI \(TOLLGATE_ABI_MAJOR).x with at least "
                + "\(needed) bytes")
        }
        guard let type = PluginExport.exportedType else {
            return fail("on_create before tollgate_plugin_entry_v1 returned a descriptor", TOLLGATE_STATUS_INTERNAL)
        }
        let configValue: JSONValue
        if let ptr = config.ptr, config.len > 0 {
            do {
                configValue = try JSONValue.parse(UnsafeRawBufferPointer(start: ptr, count: config.len))
            } catch {
                return fail("config is not valid JSON: \(error)")
            }
        } else {
            configValue = .object(JSONObject())  // what the gateway sends for no config
        }
        let pluginHost = PluginHost(hostAPI: api, handle: host)
        do {
            let plugin = try type.init(host: pluginHost, config: configValue)
            let box = PluginInstance(plugin: plugin, host: pluginHost)
            instanceOut.pointee = Unmanaged.passRetained(box).toOpaque()
            return TOLLGATE_STATUS_OK
        } catch let error as PluginError {
            return fail(error.message)
        } catch {
            return fail("\(error)")
        }
    }
}
