#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Exports a plugin type through the C ABI. A plugin library has exactly
/// one public entry function:
///
/// ```swift
/// @_cdecl("tollgate_plugin_entry_v1")
/// public func tollgate_plugin_entry_v1(_ hostMajor: UInt16, _ hostMinor: UInt16) -> UnsafeRawPointer? {
///     PluginExport.entry(MyPlugin.self, hostMajor: hostMajor, hostMinor: hostMinor)
/// }
/// ```
/// (`public`, or the symbol is stripped from release builds.)
public enum PluginExport {
    /// The descriptor for `type`, built once per process and returned on
    /// every call; nil refuses the host (another ABI major, or a minor older
    /// than `P.info.requiredMinor`). One plugin type per library: a second
    /// type asking for the entry is refused.
    public static func entry<P: TollgatePlugin>(_ type: P.Type, hostMajor: UInt16, hostMinor: UInt16) -> UnsafeRawPointer? {
        guard hostMajor == UInt16(TOLLGATE_ABI_MAJOR), hostMinor >= P.info.requiredMinor else { return nil }
        return exportedPlugin.withLock { exported -> UnsafeRawPointer? in
            if let exported {
                return ObjectIdentifier(exported.type) == ObjectIdentifier(type) ? UnsafeRawPointer(exported.descriptor) : nil
            }
            let made = ExportedPlugin(type: type, descriptor: makeDescriptor(for: type))
            exported = made
            return UnsafeRawPointer(made.descriptor)
        }
    }

    /// The plugin type whose descriptor was handed out (what on_create
    /// instantiates).
    static var exportedType: (any TollgatePlugin.Type)? {
        exportedPlugin.withLock { $0?.type }
    }

    static func makeDescriptor<P: TollgatePlugin>(for type: P.Type) -> UnsafeMutablePointer<tollgate_type_plugin_descriptor> {
        let info = P.info
        var d = tollgate_type_plugin_descriptor()
        d.struct_size = UInt32(MemoryLayout<tollgate_type_plugin_descriptor>.size)
        d.abi_major = UInt16(TOLLGATE_ABI_MAJOR)
        d.abi_minor = info.requiredMinor
        d.name = staticStr(info.name)
        d.version = staticStr(info.version)
        // Never UNLOAD_SAFE: the Swift runtime keeps pointers into the image.
        d.flags = info.failClosed ? TOLLGATE_PLUGIN_FLAG_FAIL_CLOSED : 0
        d.on_create = Trampolines.create
        d.on_destroy = Trampolines.destroy
        let hasPreCall = P.self is any PreCallHook.Type
        d.on_pre_call = hasPreCall ? Trampolines.preCall : nil
        d.on_chunk = P.self is any ChunkHook.Type ? Trampolines.chunk : nil
        // post_call also releases the per-request state, which preCall may
        // have set: export it whenever there is a preCall.
        d.on_post_call = (hasPreCall || P.self is any PostCallHook.Type) ? Trampolines.postCall : nil
        d.on_route = P.self is any RouteHook.Type ? Trampolines.route : nil  // added in 1.4
        let storage = UnsafeMutablePointer<tollgate_type_plugin_descriptor>.allocate(capacity: 1)
        storage.initialize(to: d)
        return storage
    }

    /// A copy of `s` that lives as long as the process (descriptor strings
    /// must be static).
    private static func staticStr(_ s: String) -> tollgate_type_str {
        let bytes = Array(s.utf8)
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
        bytes.withUnsafeBytes { raw in
            if !bytes.isEmpty { UnsafeMutableRawPointer(storage).copyMemory(from: raw.baseAddress!, byteCount: bytes.count) }
        }
        return tollgate_type_str(ptr: UnsafePointer(storage), len: bytes.count)
    }
}

struct ExportedPlugin {
    let type: any TollgatePlugin.Type
    let descriptor: UnsafeMutablePointer<tollgate_type_plugin_descriptor>
}

// A lazily initialised global: one per plugin image.
private let exportedPlugin = Locked<ExportedPlugin?>(nil)
