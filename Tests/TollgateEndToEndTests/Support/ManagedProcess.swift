import Foundation

/// A child process whose stdout and stderr are collected line by line, so
/// a test can wait for "listening on" instead of sleeping.
final class ManagedProcess {
    let process = Process()
    private let lock = NSCondition()
    private var stdoutLines: [String] = []
    private var stderrText = ""
    private var finishedReading = 0

    init(executable: String, arguments: [String], environment: [String: String] = [:]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
    }

    func start() throws {
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        read(out.fileHandleForReading) { [weak self] chunk in
            guard let self else { return }
            self.lock.lock()
            self.stdoutLines.append(contentsOf: chunk.split(separator: "\n", omittingEmptySubsequences: true).map(String.init))
            self.lock.broadcast()
            self.lock.unlock()
        }
        read(err.fileHandleForReading) { [weak self] chunk in
            guard let self else { return }
            self.lock.lock()
            self.stderrText += chunk
            if self.stderrText.count > 1_000_000 { self.stderrText = String(self.stderrText.suffix(500_000)) }
            self.lock.broadcast()
            self.lock.unlock()
        }
    }

    private func read(_ handle: FileHandle, _ sink: @escaping (String) -> Void) {
        Thread.detachNewThread { [weak self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                sink(String(decoding: data, as: UTF8.self))
            }
            guard let self else { return }
            self.lock.lock()
            self.finishedReading += 1
            self.lock.broadcast()
            self.lock.unlock()
        }
    }

    /// Waits (bounded) for a stdout line starting with `prefix`.
    func waitForLine(prefix: String, timeout: TimeInterval = 30) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let line = stdoutLines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if finishedReading == 2 || !process.isRunning && finishedReading == 2 {
                throw TestFailure("process exited before printing '\(prefix)'; stderr:\n\(stderrText)")
            }
            if !lock.wait(until: deadline) {
                throw TestFailure("timed out waiting for '\(prefix)'; stderr:\n\(stderrText)")
            }
        }
    }

    /// Waits (bounded) for the process to exit; returns its status.
    @discardableResult
    func waitForExit(timeout: TimeInterval = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { throw TestFailure("process did not exit in \(timeout)s") }
            usleep(5_000)
        }
        // Let the readers drain.
        lock.lock()
        while finishedReading < 2 && lock.wait(until: Date().addingTimeInterval(2)) {}
        lock.unlock()
        return process.terminationStatus
    }

    var stderr: String {
        lock.lock()
        defer { lock.unlock() }
        return stderrText
    }

    var stdout: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stdoutLines
    }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        _ = try? waitForExit(timeout: 15)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
