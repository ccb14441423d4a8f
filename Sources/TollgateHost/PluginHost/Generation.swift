import Atomics
import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// A configuration and the plugin instances built from it. Each request
/// pins the generation it started on and releases it after post_call; a
/// retired generation is destroyed when its last request releases it.
package final class Generation: @unchecked Sendable, AtomicReference {
    package let id: Int
    package let config: TollgateConfig
    package let plugins: [PluginInstance]
    /// The routes the plugins declared (ABI 1.4); no two serve one route.
    package let routes: PluginRoutes
    /// True when some plugin has on_chunk: only then are response events
    /// parsed beyond what usage needs.
    package let hasChunkHooks: Bool
    private let pins = ManagedAtomic<Int>(0)
    private let retired = ManagedAtomic<Bool>(false)
    private let destroyed = ManagedAtomic<Bool>(false)
    private let onDrained: @Sendable (Generation) -> Void

    package init(id: Int, config: TollgateConfig, plugins: [PluginInstance], routes: PluginRoutes = PluginRoutes(),
         onDrained: @escaping @Sendable (Generation) -> Void) {
        self.id = id
        self.config = config
        self.plugins = plugins
        self.routes = routes
        self.hasChunkHooks = plugins.contains { $0.onChunk != nil }
        self.onDrained = onDrained
    }

    package var catalog: ModelCatalog { config.catalog }
    package var keys: KeyStore { config.keys }
    package var pinCount: Int { pins.load(ordering: .relaxed) }
    package var isRetired: Bool { retired.load(ordering: .acquiring) }
    package var isDestroyed: Bool { destroyed.load(ordering: .acquiring) }

    /// Pins; false if the generation was already retired (take the new one).
    func tryPin() -> Bool {
        pins.wrappingIncrement(ordering: .acquiringAndReleasing)
        if retired.load(ordering: .acquiring) {
            unpin()
            return false
        }
        return true
    }

    package func unpin() {
        let remaining = pins.wrappingDecrementThenLoad(ordering: .acquiringAndReleasing)
        if remaining == 0 && retired.load(ordering: .acquiring) { drain() }
    }

    func retire() {
        retired.store(true, ordering: .releasing)
        if pins.load(ordering: .acquiring) == 0 { drain() }
    }

    private func drain() {
        guard destroyed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        onDrained(self)
    }

    /// Destroys every instance and releases the libraries. Control thread.
    package func destroyInstances(libraries: PluginLibraryCache) {
        for plugin in plugins.reversed() {
            plugin.destroy()
            libraries.release(plugin.library)
        }
    }
}

/// The serving generation, swapped atomically on reload.
package final class GenerationStore: @unchecked Sendable {
    private let current: ManagedAtomic<Generation>

    package init(_ initial: Generation) {
        current = ManagedAtomic(initial)
    }

    /// The current generation, pinned. Call `unpin()` when done.
    package func pin() -> Generation {
        while true {
            let generation = current.load(ordering: .acquiring)
            if generation.tryPin() { return generation }
        }
    }

    package var generation: Generation { current.load(ordering: .acquiring) }

    /// Makes `next` current and retires the previous one.
    package func swap(to next: Generation) {
        let previous = current.exchange(next, ordering: .acquiringAndReleasing)
        previous.retire()
    }
}
