import ArgumentParser
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TollgateCLI
import TollgateJSON
import TollgateUnits

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Things for the demo gateway (config/demo.yaml).",
        subcommands: [DemoTrafficCommand.self])
}

struct DemoTrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Play a few minutes of an org's traffic against the demo gateway (config/demo.yaml).",
        discussion: """
            Every demo key, both models, streams and not, the OpenAI and Anthropic APIs, feature and environment \
            tags. The recs carousel (grant recs-carousel, $0.20/day) takes a rising share of demo-large requests \
            until its grant refuses (429 grant_exceeded: counted, expected); after 40 s search bursts at 3x the \
            rate for 20 s (the anomaly plugin alerts: see the gateway's log). At the start, as the recs team's \
            admin, it files an exception request on grant recs and draws from the burst pool (skipped, with a \
            line, when they already exist). A line every 10 s: requests, outcomes, spend (from the allocation \
            table, read with the finance viewer's credential). The same --seed plays the same requests. Stops at \
            the end of the run, or on Ctrl-C (SIGINT) or SIGTERM.
            """)

    @Option(name: .long, help: ArgumentHelp("The gateway's base URL.",
                                            discussion: "Default: $TOLLGATE_URL, else \(AdminEndpoint.defaultURL)."))
    var url: String?

    @Option(name: .long, help: "How long to play, in minutes.")
    var minutes: Double = 5

    @Option(name: .long, help: "How long to play, in seconds (instead of --minutes: short runs, tests).")
    var seconds: Int?

    @Option(name: .long, help: "Steady requests a second (the search burst adds 3x this for 20 s).")
    var rate: Double = 4

    @Option(name: .long, help: "The plan's seed: the same seed sends the same requests at the same offsets.")
    var seed: UInt64 = 1

    @Option(name: .customLong("burst-at"), help: "When the search burst starts, in seconds from the start (it lasts 20 s).")
    var burstAt: Int = 40

    @Option(name: .long, help: "Seconds to wait for the gateway to answer /readyz before giving up.")
    var wait: Int = 30

    func validate() throws {
        if seconds == nil {
            guard minutes > 0, minutes <= 24 * 60 else { throw ValidationError("--minutes must be above 0 and at most 1440, got \(minutes)") }
        }
        if let seconds, !(1...86_400).contains(seconds) {
            throw ValidationError("--seconds must be from 1 to 86400, got \(seconds)")
        }
        guard rate > 0, rate <= 200 else { throw ValidationError("--rate must be above 0 and at most 200 requests a second, got \(rate)") }
        guard (0...86_400).contains(burstAt) else { throw ValidationError("--burst-at must be from 0 to 86400 seconds, got \(burstAt)") }
        guard wait >= 0 else { throw ValidationError("--wait must be 0 or more seconds") }
    }

    func run() throws {
        let endpoint = AdminEndpoint.resolve(url: url, credential: nil, environment: ProcessInfo.processInfo.environment)
        guard endpoint.url("/readyz") != nil else {
            ConfigLoading.printError("error: \(AdminClientError.badURL(endpoint.baseURL))")
            throw ExitCode(2)
        }
        let millis = seconds.map { $0 * 1_000 } ?? Int((minutes * 60_000).rounded())
        var settings = DemoTraffic.Settings(durationMillis: millis, rate: rate, seed: seed)
        settings.spikeStartMillis = burstAt * 1_000
        let player = DemoTrafficPlayer(baseURL: endpoint.baseURL, settings: settings)
        let status = player.run(waitSeconds: wait)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Plays a plan in real time: one thread sleeps until each request is due
/// and hands it to URLSession (at most `maxInFlight` at once); another
/// prints a line every 10 s; SIGINT/SIGTERM stop both.
final class DemoTrafficPlayer: @unchecked Sendable {
    let baseURL: String
    let settings: DemoTraffic.Settings
    let plan: [DemoTraffic.Request]
    let session: URLSession
    static let maxInFlight = 32

    private let lock = NSLock()
    private var tally = DemoTraffic.Tally()
    private var stopReason: String?
    /// The allocation table as last read (the reporter thread writes it, the
    /// main thread reads it at the end, after the reporter finished).
    private var lastStanding: DemoTraffic.Standing?
    private var signalSources: [DispatchSourceSignal] = []
    /// Signalled once when the run is asked to stop: wakes the sender.
    private let stopRequested = DispatchSemaphore(value: 0)
    /// Signalled once when the sender is done: ends the progress lines.
    private let reporterDone = DispatchSemaphore(value: 0)
    private let reporterFinished = DispatchSemaphore(value: 0)
    private let slots = DispatchSemaphore(value: DemoTrafficPlayer.maxInFlight)
    private let inFlight = DispatchGroup()

    init(baseURL: String, settings: DemoTraffic.Settings) {
        self.baseURL = baseURL
        self.settings = settings
        plan = DemoTraffic.plan(settings)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.timeoutIntervalForResource = 120
        configuration.httpMaximumConnectionsPerHost = DemoTrafficPlayer.maxInFlight
        session = URLSession(configuration: configuration)
    }

    /// The exit status: 0 after a run (429s included), 1 when nothing at
    /// all was served, 2 when the gateway never answered /readyz.
    func run(waitSeconds: Int) -> Int32 {
        trapSignals()
        defer { session.finishTasksAndInvalidate() }
        guard waitUntilReady(seconds: waitSeconds) else {
            if isStopped { return 0 }
            ConfigLoading.printError("error: the gateway at \(baseURL) did not answer /readyz within \(waitSeconds) s")
            return 2
        }
        let before = standing()
        lastStanding = before
        for line in DemoTraffic.summary(plan, settings: settings, start: before) { say(line) }
        setTheScene()
        submitForecasts()

        let start = DispatchTime.now()
        startReporter(start: start, before: before)
        startOutcomeReporter()
        sending: for request in plan {
            guard sleep(until: start + .milliseconds(request.atMillis)) else { break }
            while slots.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
                if isStopped { break sending }
            }
            send(request)
        }
        if !isStopped { _ = sleep(until: start + .milliseconds(settings.durationMillis)) }
        let interrupted = isStopped
        requestStop(interrupted ? (currentStopReason ?? "stopped") : "done")

        // Let what is in flight finish (streams included), briefly when interrupted.
        if inFlight.wait(timeout: .now() + .seconds(interrupted ? 5 : 30)) == .timedOut {
            session.invalidateAndCancel()
            _ = inFlight.wait(timeout: .now() + .seconds(2))
        }
        reporterDone.signal()
        reporterFinished.wait()
        let elapsed = Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000_000)
        let final = snapshot()
        // The last figures read, if the gateway is gone already.
        say(DemoTraffic.progressLine(elapsedSeconds: elapsed, tally: final, start: before, now: standing() ?? lastStanding,
                                     settings: settings))
        say(closing(final, reason: currentStopReason ?? "done"))
        return final.sent > 0 && final.byPurpose.values.allSatisfy({ $0.served == 0 }) ? 1 : 0
    }

    // MARK: Stopping

    private var isStopped: Bool { lock.withLock { stopReason != nil } }
    private var currentStopReason: String? { lock.withLock { stopReason } }

    private func requestStop(_ reason: String) {
        let first = lock.withLock { () -> Bool in
            guard stopReason == nil else { return false }
            stopReason = reason
            return true
        }
        if first { stopRequested.signal() }
    }

    private func trapSignals() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isStopped, number == SIGINT { exit(130) }  // a second Ctrl-C: now
                self.requestStop(number == SIGINT ? "interrupted (SIGINT)" : "stopped (SIGTERM)")
            }
            source.resume()
            signalSources.append(source)
        }
    }

    /// Sleeps until `deadline`; false when asked to stop first.
    private func sleep(until deadline: DispatchTime) -> Bool {
        guard !isStopped else { return false }
        guard stopRequested.wait(timeout: deadline) == .timedOut else {
            stopRequested.signal()  // keep it set for whoever looks next
            return false
        }
        return !isStopped
    }

    // MARK: Before the traffic

    private func waitUntilReady(seconds: Int) -> Bool {
        let client = AdminClient(endpoint: AdminEndpoint(baseURL: baseURL, credential: nil), timeout: 5)
        let deadline = DispatchTime.now() + .seconds(seconds)
        var said = false
        while true {
            if (try? client.send("GET", "/readyz")) != nil { return true }
            if !said {
                say("waiting for the gateway at \(baseURL) to answer /readyz ...")
                said = true
            }
            guard DispatchTime.now() < deadline, sleep(until: min(deadline, .now() + .milliseconds(500))) else { return false }
        }
    }

    /// As the recs team's admin: one pending exception request on grant
    /// recs, one burst draw within the borrowing limit. What is there
    /// already is left alone, and said so.
    private func setTheScene() {
        let admin = AdminClient(endpoint: AdminEndpoint(baseURL: baseURL, credential: DemoTraffic.recsAdminCredential), timeout: 10)
        let now = Int64(Date().timeIntervalSince1970)
        do {
            let log = try ExceptionLog(json: admin.get("/admin/exceptions?status=pending"))
            if let existing = DemoTraffic.pendingException(in: log) {
                say("exception: \(existing.id) on grant recs is already pending; not filing another")
            } else {
                let entry = ExceptionEntry(json: try admin.json("POST", "/admin/exceptions", body: DemoTraffic.exceptionBody(now: now)))
                say("exception: filed \(entry.id) as tg-demo-recs-admin: grant recs +\(entry.amount ?? "$3.00") (production) "
                    + "through \(UTCCalendar.day(now + 7 * 86_400)), pending; an approver decides: "
                    + "TOLLGATE_CREDENTIAL=tg-demo-chair tollgate exception approve \(entry.id)")
            }
        } catch {
            say("exception: not filed: \(error)")
        }
        do {
            let log = try ExceptionLog(json: admin.get("/admin/exceptions?status=active,approved,pending"))
            if let existing = DemoTraffic.openDraw(in: log) {
                say("burst draw: \(existing.id) on grant recs is already \(existing.status ?? "open"); not drawing again")
            } else {
                let answer = try admin.json("POST", "/admin/burst/draws", body: DemoTraffic.burstBody(now: now))
                let entry = ExceptionEntry(json: answer)
                say("burst draw: \(entry.id) for grant recs, \(entry.amount ?? "$2.00") from the demo pool: "
                    + (entry.note ?? entry.status ?? "filed"))
            }
        } catch {
            say("burst draw: not made: \(error)")
        }
    }

    /// The forecasts the dashboard's forecast view compares with actuals
    /// (a later submission for the same period replaces the earlier).
    private func submitForecasts() {
        let now = Int64(Date().timeIntervalSince1970)
        var submitted = 0
        for (credential, body) in DemoTraffic.forecasts(now: now) {
            let client = AdminClient(endpoint: AdminEndpoint(baseURL: baseURL, credential: credential), timeout: 10)
            do {
                _ = try client.json("POST", "/admin/forecasts", body: body)
                submitted += 1
            } catch {
                say("forecast for \(body["team"]?.stringValue ?? "?") not submitted: \(error)")
            }
        }
        if submitted > 0 { say("forecasts: \(submitted) submitted (tollgate report forecast; the dashboard's Chargeback view)") }
    }

    /// Every few seconds until the traffic stops: each team's outcomes,
    /// with its own key (POST /v1/outcomes).
    private func startOutcomeReporter() {
        let thread = Thread { [self] in
            var round = 0
            var failures = 0
            while !isStopped {
                for (secret, body) in DemoTraffic.outcomes(round: round) {
                    let client = AdminClient(endpoint: AdminEndpoint(baseURL: baseURL, credential: secret), timeout: 10)
                    if (try? client.json("POST", "/v1/outcomes", body: body)) == nil {
                        failures += 1
                        if failures == 1 { say("outcomes: a report was refused or failed; going on") }
                    }
                }
                round += 1
                _ = sleep(until: .now() + .seconds(DemoTraffic.outcomeEverySeconds))
            }
        }
        thread.start()
    }

    /// The allocation table as the finance viewer reads it; nil when it
    /// cannot be read (no budget plugin, another config).
    private func standing() -> DemoTraffic.Standing? {
        let viewer = AdminClient(endpoint: AdminEndpoint(baseURL: baseURL, credential: DemoTraffic.financeViewerCredential), timeout: 5)
        guard let json = try? viewer.get("/admin/allocation"), let allocation = try? Allocation(json: json) else { return nil }
        return DemoTraffic.Standing(allocation)
    }

    // MARK: Sending

    private func send(_ request: DemoTraffic.Request) {
        guard let url = URL(string: baseURL + request.path) else {
            slots.signal()
            return
        }
        var urlRequest = URLRequest(url: url, timeoutInterval: 60)
        urlRequest.httpMethod = "POST"
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = Data(request.body)
        lock.withLock { tally.sending(request) }
        inFlight.enter()
        session.dataTask(with: urlRequest) { [self] data, response, error in
            let outcome = Self.outcome(of: request, data: data, response: response, error: error)
            lock.withLock { tally.finished(request, outcome) }
            slots.signal()
            inFlight.leave()
        }.resume()
    }

    static func outcome(of request: DemoTraffic.Request, data: Data?, response: URLResponse?, error: Error?) -> DemoTraffic.Outcome {
        guard error == nil, let http = response as? HTTPURLResponse else { return .failed }
        let status = http.statusCode
        if (200..<300).contains(status) {
            // The whole answer was read; a stream counts when it got to its end.
            if request.stream, !String(decoding: data ?? Data(), as: UTF8.self).contains(request.streamEnd) { return .cutShort }
            return .answered(status: status, code: nil)
        }
        var code = http.value(forHTTPHeaderField: "x-tollgate-error-code")
        if code == nil, let data, let json = try? JSONValue.parse(Array(data)) {
            code = json["error"]?["code"]?.stringValue ?? json["error"]?["type"]?.stringValue
        }
        return .answered(status: status, code: code)
    }

    private func snapshot() -> DemoTraffic.Tally { lock.withLock { tally } }

    // MARK: Output

    private func startReporter(start: DispatchTime, before: DemoTraffic.Standing?) {
        let thread = Thread { [self] in
            var next = 10
            // Not at the run's end: the closing line says where it ended.
            while next * 1_000 < settings.durationMillis, reporterDone.wait(timeout: start + .seconds(next)) == .timedOut {
                let now = standing()
                if let now { lastStanding = now }
                say(DemoTraffic.progressLine(elapsedSeconds: next, tally: snapshot(), start: before, now: now,
                                             settings: settings))
                next += 10
            }
            if next * 1_000 >= settings.durationMillis { reporterDone.wait() }
            reporterFinished.signal()
        }
        thread.start()
    }

    private func closing(_ tally: DemoTraffic.Tally, reason: String) -> String {
        let carousel = tally.byPurpose[.carousel] ?? .init()
        let spike = tally.byPurpose[.spike] ?? .init()
        var text = "\(reason): \(tally.sent) requests sent, \(tally.finished) answered (\(tally.outcomes))"
        if carousel.sent > 0 { text += "; carousel \(carousel.served) of \(carousel.sent) served" }
        if spike.sent > 0 { text += "; search burst \(spike.served) of \(spike.sent) served" }
        return text + ". See: tollgate allocation, tollgate exceptions, tollgate burst list; alerts in the gateway's log."
    }

    private let output = NSLock()

    private func say(_ line: String) {
        output.withLock { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }
}
