import CTollgatePlugin
import Crypto
import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// A plugin shared library, opened once per distinct content.
///
/// dlopen caches images by path and inode, so a plugin rebuilt in place
/// would come back as the old image. Each library is therefore copied to a
/// content-addressed path first: new bytes, new path, new image; same bytes,
/// same image. Libraries are opened RTLD_NOW | RTLD_LOCAL and promoted to
/// RTLD_NODELETE unless the descriptor says unload-safe: dlclose of a Swift
/// image leaves the Swift runtime pointing into unmapped memory.
package final class PluginLibrary: @unchecked Sendable {
    package let sourcePath: String
    package let loadedPath: String
    package let contentHash: String
    package let descriptor: UnsafePointer<tollgate_type_plugin_descriptor>
    package let name: String
    package let version: String
    package let unloadSafe: Bool
    let handle: UnsafeMutableRawPointer

    init(sourcePath: String, loadedPath: String, contentHash: String, handle: UnsafeMutableRawPointer,
         descriptor: UnsafePointer<tollgate_type_plugin_descriptor>) {
        self.sourcePath = sourcePath
        self.loadedPath = loadedPath
        self.contentHash = contentHash
        self.handle = handle
        self.descriptor = descriptor
        self.name = descriptor.pointee.name.string
        self.version = descriptor.pointee.version.string
        self.unloadSafe = descriptor.pointee.flags & TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE != 0
    }

    package var defaultFailClosed: Bool { descriptor.pointee.flags & TOLLGATE_PLUGIN_FLAG_FAIL_CLOSED != 0 }

    /// Closes the image if that is safe; otherwise it stays mapped for the
    /// life of the process (it was opened RTLD_NODELETE).
    func close() {
        if unloadSafe { dlclose(handle) }
    }
}

extension tollgate_type_str {
    var string: String {
        guard let ptr, len > 0 else { return "" }
        return ptr.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(decoding: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }
}

/// Opens plugin libraries, reusing an image already open for the same
/// content, and counts the images that stay mapped after their last use.
package final class PluginLibraryCache: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: (library: PluginLibrary, users: Int)] = [:]
    private var retired = 0
    /// Held while a copy is placed and opened, and while copies are
    /// removed: a copy is never removed between its write and its dlopen.
    private let files = NSLock()
    package let images: PluginImageDirectory
    package var cacheDirectory: String { images.path }
    /// Retired images that could not be unmapped are counted; beyond this
    /// many, loading a new image is refused so memory stays bounded.
    package let maxRetiredImages: Int

    /// `cacheDirectory` nil: a folder of this process's own under
    /// `$TMPDIR/tollgate-plugin-cache-UID` (see PluginImageDirectory).
    package init(cacheDirectory: String? = nil, maxRetiredImages: Int = 256) {
        self.images = cacheDirectory.map { PluginImageDirectory(path: $0) } ?? .default()
        self.maxRetiredImages = maxRetiredImages
    }

    /// Removes the copies no open library uses (those of drained
    /// generations and of failed loads), and the folders other, finished
    /// processes left behind. An image still mapped keeps working without
    /// its file; a library opened again is copied again.
    package func removeUnusedImages() {
        files.withLock {
            let keep = lock.withLock { Set(open.values.map(\.library.loadedPath)) }
            images.removeFiles(except: keep)
        }
        images.removeAbandoned()
    }

    /// At exit, after every generation was destroyed: removes this
    /// process's folder.
    package func removeImageFolder() {
        files.withLock {
            guard lock.withLock({ open.isEmpty }) else { return }
            images.removeFolder()
        }
    }

    package var retiredImageCount: Int { lock.withLock { retired } }
    package var openImageCount: Int { lock.withLock { open.count } }

    /// Opens `path` (a copy of it) and checks the descriptor against this
    /// host's ABI version. `pluginName` is only used in error messages.
    package func acquire(path: String, pluginName: String) throws -> PluginLibrary {
        func fail(_ reason: String) -> PluginLoadError {
            PluginLoadError(plugin: pluginName, file: path, reason: reason)
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw fail(exists ? "cannot read the file" : "no such file")
        }
        let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        files.lock()
        defer { files.unlock() }
        if let library = lock.withLock({ () -> PluginLibrary? in
            guard let entry = open[hash] else { return nil }
            open[hash] = (entry.library, entry.users + 1)
            return entry.library
        }) {
            return library
        }
        if lock.withLock({ retired }) >= maxRetiredImages {
            throw fail("too many retired plugin images are mapped (\(maxRetiredImages)); restart the gateway to reclaim them")
        }
        let base = (path as NSString).lastPathComponent
        let copyPath = "\(cacheDirectory)/\(hash.prefix(24))-\(base)"
        try copyIfMissing(bytes: bytes, to: copyPath, fail: fail)

        guard let handle = dlopen(copyPath, RTLD_NOW | RTLD_LOCAL) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw fail("dlopen failed: \(message)")
        }
        guard let symbol = dlsym(handle, TOLLGATE_PLUGIN_ENTRY_SYMBOL) else {
            // Never dlclose an image not proven unload-safe: if it is Swift,
            // its constructors already registered conformances with the
            // runtime, and unmapping it makes the next dynamic cast anywhere
            // in the process crash. It stays mapped and is counted retired.
            keepMapped(copyPath)
            throw fail("no entry symbol '\(TOLLGATE_PLUGIN_ENTRY_SYMBOL)' — not a Tollgate ABI v\(TOLLGATE_ABI_MAJOR) plugin (a Swift plugin's @_cdecl entry must be public)")
        }
        let entry = unsafeBitCast(symbol, to: tollgate_type_plugin_entry_v1.self)
        guard let descriptor = entry(UInt16(TOLLGATE_ABI_MAJOR), UInt16(TOLLGATE_ABI_MINOR)) else {
            // Keep it mapped: code of an unknown kind already ran in it.
            keepMapped(copyPath)
            throw fail("the plugin refused this host (ABI \(TOLLGATE_ABI_MAJOR).\(TOLLGATE_ABI_MINOR)); it needs another host version")
        }
        do {
            try validate(descriptor, fail: fail)
        } catch {
            if descriptor.pointee.flags & TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE != 0 {
                dlclose(handle)
            } else {
                keepMapped(copyPath)
            }
            throw error
        }
        if descriptor.pointee.flags & TOLLGATE_PLUGIN_FLAG_UNLOAD_SAFE == 0 {
            // Promote to NODELETE: a later dlclose will not unmap it.
            if let again = dlopen(copyPath, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE) {
                dlclose(again)
            }
        }
        let library = PluginLibrary(sourcePath: path, loadedPath: copyPath, contentHash: hash,
                                    handle: handle, descriptor: descriptor)
        lock.withLock { open[hash] = (library, 1) }
        return library
    }

    /// An image that failed to load but may hold language-runtime state:
    /// pinned in memory for good (RTLD_NODELETE), counted as retired.
    private func keepMapped(_ path: String) {
        if let again = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD | RTLD_NODELETE) {
            dlclose(again)
        }
        lock.withLock { retired += 1 }
    }

    /// Drops one user; the last user closes (or retires) the image.
    package func release(_ library: PluginLibrary) {
        let last: Bool = lock.withLock {
            guard let entry = open[library.contentHash] else { return false }
            if entry.users > 1 {
                open[library.contentHash] = (entry.library, entry.users - 1)
                return false
            }
            open[library.contentHash] = nil
            if !library.unloadSafe { retired += 1 }
            return true
        }
        if last { library.close() }
    }

    private func validate(_ d: UnsafePointer<tollgate_type_plugin_descriptor>, fail: (String) -> PluginLoadError) throws {
        guard ABIStruct.contains(\tollgate_type_plugin_descriptor.on_post_call, size: d.pointee.struct_size) else {
            throw fail("descriptor struct_size \(d.pointee.struct_size) is smaller than ABI 1.0's "
                + "\(ABIStruct.end(of: \tollgate_type_plugin_descriptor.on_post_call))")
        }
        guard d.pointee.abi_major == TOLLGATE_ABI_MAJOR else {
            throw fail("built for ABI major \(d.pointee.abi_major), this host speaks major \(TOLLGATE_ABI_MAJOR)")
        }
        guard d.pointee.abi_minor <= TOLLGATE_ABI_MINOR else {
            throw fail("needs ABI \(d.pointee.abi_major).\(d.pointee.abi_minor), this host provides \(TOLLGATE_ABI_MAJOR).\(TOLLGATE_ABI_MINOR)")
        }
        guard d.pointee.on_create != nil, d.pointee.on_destroy != nil else {
            throw fail("the descriptor has no on_create or on_destroy")
        }
        guard d.pointee.name.len > 0 else { throw fail("the descriptor has an empty name") }
    }

    private func copyIfMissing(bytes: Data, to copyPath: String, fail: (String) -> PluginLoadError) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: copyPath) { return }
        do {
            try fm.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
            // Write then rename so a concurrent loader never maps a half file.
            let temporary = "\(copyPath).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
            guard fm.createFile(atPath: temporary, contents: bytes, attributes: [.posixPermissions: 0o500]) else {
                throw fail("cannot write a copy to \(cacheDirectory)")
            }
            if rename(temporary, copyPath) != 0 {
                unlink(temporary)
                if !fm.fileExists(atPath: copyPath) { throw fail("cannot place a copy at \(copyPath)") }
            }
        } catch let error as PluginLoadError {
            throw error
        } catch {
            throw fail("cannot prepare the plugin cache directory \(cacheDirectory): \(error)")
        }
    }
}
