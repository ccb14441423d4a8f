import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the gateway.")

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "Listen on this host instead of server.listen's.")
    var host: String?

    @Option(name: .long, help: "Listen on this port instead of server.listen's (0 picks a free one).")
    var port: Int?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Seconds in-flight requests get to finish on SIGTERM/SIGINT before they are cut.")
    var shutdownGrace: Int = 10

    func validate() throws {
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be 0 or more seconds.") }
    }

    func run() throws {
        Self.limitMallocArenas()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tollgate")
        let loaded = ConfigLoading.loadOrExit(config)

        let gateway: Gateway
        do {
            gateway = try Gateway(config: loaded, logger: logger)
        } catch {
            ConfigLoading.printError("\(error)")
            throw ExitCode(1)
        }
        // SIGTERM and SIGINT stop the gateway gracefully (the group traps
        // them before any service runs); SIGHUP reloads it, trapped here,
        // before the gateway says it listens.
        let host = self.host, port = self.port, grace = TimeAmount.seconds(Int64(shutdownGrace))
        try runBlocking {
            let hangups = await HangupReloadService.trapHangups()
            let plugins = loaded.plugins.map(\.instanceName).joined(separator: ",")
            let server = GatewayService(gateway: gateway, host: host, port: port, grace: grace) { bound in
                let address = "\(bound.ipAddress ?? "?"):\(bound.port ?? 0)"
                print("tollgate listening on http://\(address)")
                fflush(stdout)
                logger.info("serving", metadata: ["address": .string(address), "config": .string(loaded.sourcePath),
                                                  "plugins": .string(plugins)])
            }
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: server), .init(service: HangupReloadService(gateway: gateway, hangups: hangups))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            // The trapped SIGHUPs stay trapped until the process exits.
            defer { withExtendedLifetime(hangups) {} }
            do {
                try await group.run()
            } catch let error as GatewayService.ListenError {
                ConfigLoading.printError(error.description)
                throw ExitCode(1)
            }
        }
    }
}

extension ServeCommand {
    /// glibc gives each thread that allocates its own malloc arena (up to 8
    /// per core), each keeping freed memory for reuse. The gateway's work
    /// runs on a few event-loop threads, so two arenas cost no contention
    /// and keep the resident set ~1.5 MB smaller under 1,000 open streams.
    /// MALLOC_ARENA_MAX in the environment wins.
    static func limitMallocArenas() {
        #if os(Linux)
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
            _ = glibcMallopt(-8 /* M_ARENA_MAX, malloc.h */, 2)
        }
        #endif
    }
}

#if os(Linux)
/// glibc's mallopt(3); <malloc.h> is not part of the Glibc module.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
