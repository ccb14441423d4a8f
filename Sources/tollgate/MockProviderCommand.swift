import ArgumentParser
import Foundation
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

struct MockProviderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-provider",
        abstract: "Run a fake OpenAI + Anthropic upstream for tests, demos and benchmarks.",
        discussion: "Requests can steer it per call: `+key=value` after the model name, `[[mock key=value ...]]` in the prompt, or `x-mock-*` headers. See docs/mock-provider.md.")

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port = 8090

    @Option(name: .long, help: "Content events per streamed answer.")
    var chunks = 5

    @Option(name: .customLong("chunk-delay-ms"), help: "Delay before each content event, in milliseconds.")
    var chunkDelayMs = 0

    @Option(name: .customLong("output-tokens"), help: "Output tokens per answer (capped by the request's max tokens).")
    var outputTokens = 16

    @Flag(name: .long, help: "Answer with the prompt text.")
    var echo = false

    @Option(name: .long, help: "Fail every request: 429, 500, 503, stall, stall-after-first, cut or bad-json.")
    var fail: String?

    @Option(name: .long, help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(name: .long, help: "The gateway's config: its catalog prices what the usage and cost reports bill (read at each report request, so it may be written after the mock starts).")
    var config: String?

    @Option(name: .customLong("invoice-markup"), help: "MODEL=BASIS_POINTS: bill MODEL's calls this much above the catalog price in the cost reports (1000 = +10%; * for every model). Repeatable; plants drift for `tollgate reconcile`.")
    var invoiceMarkup: [String] = []

    @Option(name: .customLong("admin-key"), help: "The only admin key the usage and cost report endpoints accept (default: any non-empty key).")
    var adminKey: String?

    func validate() throws {
        if let fail, MockFailure(rawValue: fail) == nil {
            throw ValidationError("--fail \(fail) is not a failure mode; use one of: \(MockFailure.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if chunks < 1 { throw ValidationError("--chunks must be at least 1.") }
        if chunkDelayMs < 0 || outputTokens < 0 { throw ValidationError("--chunk-delay-ms and --output-tokens cannot be negative.") }
        _ = try markups()
    }

    /// `--invoice-markup MODEL=BP`, each at least -10000 (free) and at most 1000000.
    func markups() throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for item in invoiceMarkup {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let bp = Int64(parts[1]), (-10_000...1_000_000).contains(bp) else {
                throw ValidationError("--invoice-markup \(item): expected MODEL=BASIS_POINTS, e.g. mock-large=1000 for +10% (from -10000 to 1000000).")
            }
            out[parts[0]] = bp
        }
        return out
    }

    /// Prices from the config's catalog, loaded at each report request; the
    /// mock's default prices without one.
    func invoice() throws -> MockInvoice {
        let path = config
        let prices: @Sendable () throws -> [String: Price] = {
            guard let path else { return [:] }
            do {
                return MockInvoice.prices(of: try ConfigLoader.load(path: path).catalog)
            } catch let errors as ConfigErrors {
                throw MockPriceSourceError(description: errors.errors.map(\.description).joined(separator: "; "))
            } catch {
                throw MockPriceSourceError(description: "\(path): \(error)")
            }
        }
        return MockInvoice(prices: prices, markupBasisPoints: try markups(), adminKey: adminKey)
    }

    func run() throws {
        let defaults = MockDirectives(fail: fail.flatMap(MockFailure.init(rawValue:)), chunks: chunks,
                                      chunkDelayMs: chunkDelayMs, outputTokens: outputTokens, echo: echo)
        let server = MockProviderServer(host: host, port: port, defaults: defaults,
                                        threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, invoice: try invoice())
        let bound: Int
        do {
            bound = try server.start()
        } catch {
            FileHandle.standardError.write(Data("mock-provider: could not listen on \(host):\(port): \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("mock-provider listening on http://\(host):\(bound)")
        fflush(stdout)

        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        server.shutdown()
        _ = sources
    }
}

/// The config the mock prices from cannot be read (at a report request).
struct MockPriceSourceError: Error, CustomStringConvertible {
    var description: String
}
