#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TollgatePluginKit

/// Loads a plugin library in-process, the way the gateway does, and runs
/// its hooks against a fake host, so a plugin's tests need no gateway, no
/// network and no provider:
///
/// ```swift
/// let plugin = try PluginUnderTest(libraryPath: path, config: .object(JSONObject([("header", .string("x-tier"))])))
/// let call = FakeCall(model: "small", headers: [("x-tier", "cheap")])
/// let pre = try plugin.preCall(call)
/// XCTAssertEqual(pre.verdict, .continue)
/// try plugin.postCall(call, usage: (in: 10, out: 5, cached: 0))
/// XCTAssertEqual(plugin.host.callsAwaitingPostCall, 0)
/// ```
///
/// The library is opened with RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and
/// never closed (closing a Swift image crashes the next dynamic cast).
/// Hooks of different FakeCalls may run concurrently; hooks of one call
/// must not.
public final class PluginUnderTest {
    public let libraryPath: String
    public let host: FakeHost
    public let name: String
    public let version: String
    public let flags: UInt32
    public let descriptorABIMinor: UInt16
    public let hasPreCall: Bool
    public let hasChunk: Bool
    public let hasPostCall: Bool
    /// The descriptor has on_route (ABI 1.4; read only when its struct_size
    /// covers the field, as the gateway does).
    public let hasRoute: Bool

    private let library: UnsafeMutableRawPointer
    private let descriptor: UnsafePointer<tollgate_type_plugin_descriptor>
    private let hostRetained: Unmanaged<FakeHost>
    private var instance: UnsafeMutableRawPointer?

    var instanceForHooks: UnsafeMutableRawPointer? { instance }
    var descriptorHooks: (preCall: tollgate_on_pre_call?, chunk: tollgate_on_chunk?, postCall: tollgate_on_post_call?) {
        (descriptor.pointee.on_pre_call, descriptor.pointee.on_chunk, descriptor.pointee.on_post_call)
    }
    var routeHook: tollgate_on_route? { hasRoute ? descriptor.pointee.on_route : nil }

    public var failClosed: Bool { flags & TOLLGATE_PLUGIN_FLAG_FAIL_CLOSED != 0 }
    public var unloadSafe: Bool { flags & TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE != 0 }
    public var isDestroyed: Bool { instance == nil }

    /// Opens the library, validates its descriptor like the gateway does,
    /// and creates one instance with `config` (the YAML `config:` block;
    /// by default `{}`, what the gateway passes for an entry without one).
    /// `storageDirectory` is what the host says storage.dir is (ABI 1.2);
    /// the instance is named after the descriptor, as an entry with only
    /// `name:` is. `prepareHost` runs on the fake host before on_create
    /// (set the grant table, move the counters' clock).
    public init(libraryPath: String, config: JSONValue = .object(JSONObject()), catalog: [String: Price] = FakeHost.defaultCatalog,
                hostMajor: UInt16 = UInt16(TOLLGATE_ABI_MAJOR), hostMinor: UInt16 = UInt16(TOLLGATE_ABI_MINOR),
                storageDirectory: String = "", prepareHost: (FakeHost) -> Void = { _ in }) throws {
        self.libraryPath = libraryPath
        guard access(libraryPath, F_OK) == 0 else { throw PluginLoadError.fileNotFound(path: libraryPath) }
        guard let library = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw PluginLoadError.openFailed(path: libraryPath, reason: dlerror().map { String(cString: $0) } ?? "unknown")
        }
        self.library = library
        guard let symbol = dlsym(library, TOLLGATE_PLUGIN_ENTRY_SYMBOL) else {
            throw PluginLoadError.missingEntrySymbol(path: libraryPath)
        }
        let entry = unsafeBitCast(symbol, to: tollgate_type_plugin_entry_v1.self)
        guard let descriptor = entry(hostMajor, hostMinor) else {
            throw PluginLoadError.refused(path: libraryPath, hostMajor: hostMajor, hostMinor: hostMinor)
        }
        try Self.validate(descriptor, path: libraryPath, hostMajor: hostMajor, hostMinor: hostMinor)
        self.descriptor = descriptor
        let d = descriptor.pointee
        name = String(tollgateStr: d.name)
        version = String(tollgateStr: d.version)
        flags = d.flags
        descriptorABIMinor = d.abi_minor
        hasPreCall = d.on_pre_call != nil
        hasChunk = d.on_chunk != nil
        hasPostCall = d.on_post_call != nil
        hasRoute = Self.contains(\.on_route, size: d.struct_size) && d.on_route != nil

        host = FakeHost(catalog: catalog, storageDirectory: storageDirectory, instanceName: name)
        prepareHost(host)
        hostRetained = Unmanaged.passRetained(host)
        let hostPointer = OpaquePointer(hostRetained.toOpaque())
        var created: UnsafeMutableRawPointer?
        var errorBuffer = [CChar](repeating: 0, count: 1024)
        var errorLength = 0
        let configText = Array(config.serialized())
        host.creation.withLock {
            $0.phase = .create
            $0.hasRouteHook = hasRoute
        }
        defer { host.creation.withLock { $0.phase = .idle } }
        let status = configText.withUnsafeBufferPointer { bytes in
            errorBuffer.withUnsafeMutableBufferPointer { errorOut in
                d.on_create!(FakeHostTable.pointer(forMinor: hostMinor), hostPointer,
                             tollgate_type_str(ptr: UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                               len: bytes.count),
                             &created, errorOut.baseAddress, errorOut.count, &errorLength)
            }
        }
        guard status == TOLLGATE_STATUS_OK, let created else {
            // Fully initialised by now: deinit runs and releases the host.
            let length = min(max(errorLength, 0), errorBuffer.count)
            let message = errorBuffer.prefix(length).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            throw PluginLoadError.createFailed(path: libraryPath,
                                               status: HostStatus(rawValue: status == TOLLGATE_STATUS_OK ? TOLLGATE_STATUS_INTERNAL : status),
                                               message: status == TOLLGATE_STATUS_OK ? "create returned OK without an instance" : message)
        }
        instance = created
    }

    deinit {
        destroy()
        hostRetained.release()
    }

    /// Calls on_destroy (once). Hooks after this are a harness misuse.
    public func destroy() {
        guard let instance else { return }
        self.instance = nil
        descriptor.pointee.on_destroy!(instance)
    }

    static func end<T>(of field: KeyPath<tollgate_type_plugin_descriptor, T>) -> Int {
        MemoryLayout<tollgate_type_plugin_descriptor>.offset(of: field)! + MemoryLayout<T>.size
    }

    static func contains<T>(_ field: KeyPath<tollgate_type_plugin_descriptor, T>, size: UInt32) -> Bool {
        Int(size) >= end(of: field)
    }

    /// Another symbol of the library (test hooks a plugin exports).
    public func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(library, name) }

    /// The checks the gateway makes before it trusts a descriptor.
    static func validate(_ descriptor: UnsafePointer<tollgate_type_plugin_descriptor>, path: String,
                         hostMajor: UInt16, hostMinor: UInt16) throws {
        // ABI 1.0's descriptor ends with on_post_call; later fields are read
        // only when struct_size covers them (append-only).
        let minimumSize = end(of: \.on_post_call)
        let d = descriptor.pointee
        guard Int(d.struct_size) >= minimumSize else {
            throw PluginLoadError.badDescriptor(path: path, reason: "struct_size \(d.struct_size) < \(minimumSize)")
        }
        guard d.abi_major == hostMajor else {
            throw PluginLoadError.badDescriptor(path: path, reason: "ABI major \(d.abi_major), host is \(hostMajor)")
        }
        guard d.abi_minor <= hostMinor else {
            throw PluginLoadError.badDescriptor(path: path, reason: "needs ABI minor \(d.abi_minor), host is \(hostMinor)")
        }
        guard d.on_create != nil, d.on_destroy != nil else {
            throw PluginLoadError.badDescriptor(path: path, reason: "on_create and on_destroy are required")
        }
        guard d.name.len > 0, d.name.ptr != nil else {
            throw PluginLoadError.badDescriptor(path: path, reason: "empty name")
        }
    }
}

extension String {
    init(tollgateStr s: tollgate_type_str) {
        guard let ptr = s.ptr, s.len > 0 else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: ptr, count: s.len), as: UTF8.self)
    }
}
