import CTollgatePlugin
import Foundation
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Runs the hook chains of one generation for one call, enforcing the
/// order and the post_call guarantee: pre-call in configured order, chunk
/// and post-call in reverse, post_call for every plugin that entered.
package struct HookChain {
    package enum PreCallResult {
        case proceed
        case reject(GatewayError, decidedBy: String)
        case respond(status: Int, contentType: String, body: [UInt8], decidedBy: String)
    }

    package enum ChunkResult {
        case forward
        case drop
        case abort(GatewayError, decidedBy: String)
    }

    let generation: Generation
    let timers: HookTimers

    package init(generation: Generation, timers: HookTimers) {
        self.generation = generation
        self.timers = timers
    }

    package func runPreCall(_ call: CallContext) -> PreCallResult {
        call.phase = .preCall
        RunningCall.set(call)
        defer {
            call.phase = .idle
            call.runningPlugin = nil
            RunningCall.set(nil)
        }
        for (index, plugin) in generation.plugins.enumerated() {
            call.enteredCount = index + 1
            guard let hook = plugin.preCall else { continue }
            call.pluginError = nil
            call.pluginResponse = nil
            call.runningPlugin = plugin
            let start = MonotonicClock.nanos()
            var state: UnsafeMutableRawPointer? = nil
            let verdict = hook(plugin.instance, call.pointer, &state)
            call.callStates[index] = state
            call.arena.reset()
            plugin.hookDuration(.preCall).record(Double(MonotonicClock.nanos() - start) / 1e9)
            switch verdict {
            case TOLLGATE_PRE_CALL_CONTINUE:
                continue
            case TOLLGATE_PRE_CALL_REJECT:
                if let error = call.pluginError { return .reject(error, decidedBy: plugin.instanceName) }
                // A plugin bug, not a policy decision: the operator hears of it.
                plugin.host.logger.warning("pre_call returned REJECT without set_error: answered 500 plugin_rejected, no reason given",
                                           metadata: ["request_id": .string(call.requestID)])
                return .reject(GatewayError(status: 500, type: "plugin_error", code: "plugin_rejected",
                                            message: "Plugin '\(plugin.instanceName)' rejected the request without a reason."),
                               decidedBy: plugin.instanceName)
            case TOLLGATE_PRE_CALL_RESPOND:
                guard let response = call.pluginResponse else {
                    plugin.host.logger.warning("pre_call returned RESPOND without set_response: answered 500 plugin_bad_verdict",
                                               metadata: ["request_id": .string(call.requestID)])
                    return .reject(GatewayError(status: 500, type: "plugin_error", code: "plugin_bad_verdict",
                                                message: "Plugin '\(plugin.instanceName)' answered RESPOND without a response."),
                                   decidedBy: plugin.instanceName)
                }
                return .respond(status: response.status, contentType: response.contentType, body: response.body,
                                decidedBy: plugin.instanceName)
            default:
                // ERROR, or a verdict this host does not know: a plugin failure.
                let reason = call.pluginError?.message
                    ?? (verdict == TOLLGATE_PRE_CALL_ERROR ? "no reason given (set_error supplies one)" : "unknown verdict \(verdict)")
                timers.countError(plugin: plugin.instanceName, hook: .preCall, failClosed: plugin.failClosed)
                plugin.host.logger.error("pre_call failed: \(reason)", metadata: ["request_id": .string(call.requestID)])
                if plugin.failClosed {
                    return .reject(GatewayError(status: 503, type: "plugin_error", code: "plugin_failed",
                                                message: "Plugin '\(plugin.instanceName)' failed and is configured to fail closed: \(reason)"),
                                   decidedBy: plugin.instanceName)
                }
                call.pluginError = nil
            }
        }
        return .proceed
    }

    /// Runs on_chunk of the entered plugins, last to first, on `event`.
    package func runChunk(_ call: CallContext, event: inout ResponseEvent) -> ChunkResult {
        guard generation.hasChunkHooks, call.enteredCount > 0 else { return .forward }
        call.phase = .chunk
        call.currentEventKind = event.kind()
        call.currentEvent = event
        RunningCall.set(call)
        defer {
            call.phase = .idle
            call.currentEvent = nil
            call.runningPlugin = nil
            RunningCall.set(nil)
        }
        for index in stride(from: call.enteredCount - 1, through: 0, by: -1) {
            let plugin = generation.plugins[index]
            guard let hook = plugin.onChunk else { continue }
            call.pluginError = nil
            call.runningPlugin = plugin
            let start = MonotonicClock.nanos()
            let verdict = hook(plugin.instance, call.pointer, call.callStates[index])
            call.arena.reset()
            plugin.hookDuration(.chunk).record(Double(MonotonicClock.nanos() - start) / 1e9)
            switch verdict {
            case TOLLGATE_CHUNK_CONTINUE, TOLLGATE_CHUNK_REPLACE:
                continue
            case TOLLGATE_CHUNK_DROP:
                event = call.currentEvent!
                return .drop
            case TOLLGATE_CHUNK_ABORT:
                if call.pluginError == nil {
                    plugin.host.logger.warning("on_chunk returned ABORT without set_error: the response ends with no reason given",
                                               metadata: ["request_id": .string(call.requestID)])
                }
                let error = call.pluginError ?? GatewayError(status: 500, type: "plugin_error", code: "stream_aborted",
                                                             message: "Plugin '\(plugin.instanceName)' ended the response.")
                event = call.currentEvent!
                return .abort(error, decidedBy: plugin.instanceName)
            default:
                let reason = call.pluginError?.message ?? "no reason given (set_error supplies one)"
                timers.countError(plugin: plugin.instanceName, hook: .chunk, failClosed: plugin.failClosed)
                plugin.host.logger.error("on_chunk failed: \(reason)", metadata: ["request_id": .string(call.requestID)])
                if plugin.failClosed {
                    event = call.currentEvent!
                    return .abort(GatewayError(status: 503, type: "plugin_error", code: "plugin_failed",
                                               message: "Plugin '\(plugin.instanceName)' failed and is configured to fail closed."),
                                  decidedBy: plugin.instanceName)
                }
            }
            // A REPLACE re-reads the kind: a later plugin sees the new event.
            call.currentEventKind = call.currentEvent!.kind()
        }
        event = call.currentEvent!
        return .forward
    }

    /// Runs on_post_call for every entered plugin, last to first. Safe to
    /// call twice: the second call does nothing.
    package func runPostCall(_ call: CallContext) {
        guard !call.postCallDone else { return }
        call.postCallDone = true
        call.phase = .postCall
        RunningCall.set(call)
        defer {
            call.phase = .idle
            call.runningPlugin = nil
            RunningCall.set(nil)
        }
        for index in stride(from: call.enteredCount - 1, through: 0, by: -1) {
            let plugin = generation.plugins[index]
            guard let hook = plugin.postCall else { continue }
            call.runningPlugin = plugin
            let start = MonotonicClock.nanos()
            let status = hook(plugin.instance, call.pointer, call.callStates[index])
            call.callStates[index] = nil
            call.arena.reset()
            plugin.hookDuration(.postCall).record(Double(MonotonicClock.nanos() - start) / 1e9)
            if status != TOLLGATE_STATUS_OK {
                timers.countError(plugin: plugin.instanceName, hook: .postCall, failClosed: plugin.failClosed)
                plugin.host.logger.warning("post_call returned \(HostStatusName.of(status))", metadata: ["request_id": .string(call.requestID)])
            }
        }
    }
}

/// Counts hook failures. (Hook durations are recorded on histograms each
/// PluginInstance resolves once, at creation: no lookup per hook call.)
package final class HookTimers: @unchecked Sendable {
    package enum Hook: String, CaseIterable, Sendable {
        case preCall = "pre_call", chunk = "on_chunk", postCall = "post_call", route = "on_route"
    }
    private let metrics: GatewayMetrics

    package init(metrics: GatewayMetrics) { self.metrics = metrics }

    func countError(plugin: String, hook: Hook, failClosed: Bool) {
        metrics.record("tollgate_plugin_errors_total", labels: [plugin, hook.rawValue, failClosed ? "closed" : "open"], value: 1)
    }
}
