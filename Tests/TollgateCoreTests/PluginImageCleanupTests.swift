import Foundation
import XCTest
@testable import TollgateSupport
@testable import TollgateDialects
@testable import TollgateConfig
@testable import TollgateHost
@testable import TollgateUpstream
@testable import TollgateReports
@testable import TollgateMockProvider
@testable import TollgateProxy
import TollgateUnits

/// The copies of plugin libraries do not pile up under TMPDIR: a gateway
/// removes the copies no open library uses, and the folders gateways that
/// are gone left behind — never a copy in use, never a live folder.
final class PluginImageCleanupTests: XCTestCase {
    func temporary(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "tollgate-cleanup-\(label)-\(getpid())-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testCopiesNoOpenLibraryUsesAreRemovedAndUsedOnesKept() throws {
        let cache = PluginLibraryCache(cacheDirectory: temporary("own"))
        let path = try HookChainTests.compile("null_hooks")
        let rebuilt = temporary("src") + "/libnull_hooks.so"
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes.append(contentsOf: [9, 9, 9])  // same code, another content hash
        _ = FileManager.default.createFile(atPath: rebuilt, contents: bytes)

        let old = try cache.acquire(path: path, pluginName: "old")
        let new = try cache.acquire(path: rebuilt, pluginName: "new")
        cache.release(old)
        cache.removeUnusedImages()
        XCTAssertFalse(exists(old.loadedPath), "no generation uses it")
        XCTAssertTrue(exists(new.loadedPath), "a library in use keeps its copy")

        // Opened again later, it is copied again.
        let again = try cache.acquire(path: path, pluginName: "again")
        XCTAssertTrue(exists(again.loadedPath))
        cache.release(again)
        cache.release(new)
        cache.removeUnusedImages()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.cacheDirectory), [])
    }

    func testTheDefaultFolderIsTheGatewaysOwnUnderTheSharedRoot() {
        let directory = PluginImageDirectory.default(environment: ["TMPDIR": "/var/tmp/"])
        XCTAssertEqual(directory.root, "/var/tmp/tollgate-plugin-cache-\(getuid())")
        XCTAssertTrue(directory.path.hasPrefix("/var/tmp/tollgate-plugin-cache-\(getuid())/\(getpid())-"), directory.path)
        XCTAssertEqual(PluginImageDirectory.ownerPID(folder: "4242-9f"), 4242)
        XCTAssertNil(PluginImageDirectory.ownerPID(folder: "notes"))
        XCTAssertNotEqual(PluginImageDirectory.default().path, PluginImageDirectory.default().path,
                          "two gateways in one process do not share a folder")
    }

    func testFoldersOfGatewaysThatAreGoneAreRemovedOnceOld() throws {
        let root = temporary("root")
        let fm = FileManager.default
        let own = PluginImageDirectory(path: root + "/100-a", root: root)
        for folder in ["100-a", "200-b", "300-c", "400-d", "notes"] {
            try fm.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            _ = fm.createFile(atPath: root + "/" + folder + "/abc-libx.so", contents: Data([1]))
        }
        _ = fm.createFile(atPath: root + "/0123abcd-libold.so", contents: Data([1]))  // the layout before per-gateway folders
        _ = fm.createFile(atPath: root + "/4567abcd-libnew.so", contents: Data([1]))
        let longAgo = Date().addingTimeInterval(-2 * PluginImageDirectory.abandonedAfter)
        for entry in ["100-a", "200-b", "300-c", "notes", "0123abcd-libold.so"] {
            try fm.setAttributes([.modificationDate: longAgo], ofItemAtPath: root + "/" + entry)
        }

        // 300 still runs; 200 and 400 are gone, but 400's folder changed lately.
        let removed = own.removeAbandoned(isRunning: { $0 == 300 || $0 == 100 })
        XCTAssertEqual(Set(removed), [root + "/200-b", root + "/0123abcd-libold.so"])
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: root)), ["100-a", "300-c", "400-d", "notes", "4567abcd-libnew.so"])
    }

    func testTheGatewaysFolderGoesAtExitOnlyWhenNothingIsOpen() throws {
        let cache = PluginLibraryCache(cacheDirectory: nil)
        XCTAssertNotNil(cache.images.root)
        let library = try cache.acquire(path: try HookChainTests.compile("null_hooks"), pluginName: "p")
        cache.removeImageFolder()
        XCTAssertTrue(exists(cache.cacheDirectory), "a library is still open")
        cache.release(library)
        cache.removeImageFolder()
        XCTAssertFalse(exists(cache.cacheDirectory))
    }
}
