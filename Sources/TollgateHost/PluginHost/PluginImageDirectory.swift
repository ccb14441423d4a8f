import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Where the content-addressed copies of plugin libraries go, and how they
/// are cleaned up.
///
/// Each gateway has a folder of its own, `$TMPDIR/tollgate-plugin-cache-UID/PID-RANDOM`,
/// so cleaning never races another gateway sharing TMPDIR. A gateway
/// removes, in its own folder, the copies no open library uses (an image
/// still mapped by a retired generation stays mapped when its file goes),
/// and the folders of processes that are gone; at exit, its own folder.
/// A folder whose process still runs, or that changed within
/// `abandonedAfter`, is left alone (a process in another PID namespace
/// looks gone but may be writing). Loose files directly in the root are
/// copies from releases before per-gateway folders; they go once as old.
package struct PluginImageDirectory: Sendable {
    /// The folder this gateway copies libraries into.
    package let path: String
    /// The shared parent of every process's folder, when `path` is the
    /// default one; nil when the caller chose the folder (nothing else is
    /// swept then).
    package let root: String?
    package static let abandonedAfter: TimeInterval = 600

    /// The default: a folder of this gateway's own under the shared root.
    package static func `default`(environment: [String: String] = ProcessInfo.processInfo.environment) -> PluginImageDirectory {
        let tmp = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let root = (tmp.hasSuffix("/") ? String(tmp.dropLast()) : tmp) + "/tollgate-plugin-cache-\(getuid())"
        let own = "\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        return PluginImageDirectory(path: root + "/" + own, root: root)
    }

    package init(path: String, root: String? = nil) {
        self.path = path
        self.root = root
    }

    /// Removes every file in `path` but `keep` (full paths).
    @discardableResult
    package func removeFiles(except keep: Set<String>) -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: path) else { return [] }
        var removed: [String] = []
        for name in names {
            let file = path + "/" + name
            if keep.contains(file) { continue }
            if unlink(file) == 0 { removed.append(file) }
        }
        return removed
    }

    /// Removes the folders of processes that are gone, and loose copies of
    /// the old layout, when untouched for `abandonedAfter`.
    @discardableResult
    package func removeAbandoned(now: Date = Date(), isRunning: (pid_t) -> Bool = PluginImageDirectory.isRunning) -> [String] {
        guard let root else { return [] }
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return [] }
        var removed: [String] = []
        for name in names {
            let entry = root + "/" + name
            guard entry != path, let attributes = try? fm.attributesOfItem(atPath: entry),
                  let modified = attributes[.modificationDate] as? Date,
                  now.timeIntervalSince(modified) >= Self.abandonedAfter else { continue }
            if attributes[.type] as? FileAttributeType == .typeDirectory {
                guard let pid = Self.ownerPID(folder: name), !isRunning(pid) else { continue }
            }
            if (try? fm.removeItem(atPath: entry)) != nil { removed.append(entry) }
        }
        return removed
    }

    /// Removes the folder itself (at exit, once no library is open).
    package func removeFolder() {
        guard root != nil else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The process a folder named PID-RANDOM belongs to.
    static func ownerPID(folder name: String) -> pid_t? {
        guard let first = name.split(separator: "-", maxSplits: 1).first, let pid = pid_t(first), pid > 0 else { return nil }
        return pid
    }

    /// True unless no process has this id (kill(pid, 0) fails with ESRCH).
    package static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
