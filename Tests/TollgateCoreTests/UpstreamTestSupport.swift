import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest
@testable import TollgateCore

/// Records everything a transfer delivers, and checks the delegate contract
/// (event loop, head before body, finish exactly once and last).
final class RecordingUpstreamDelegate: UpstreamDelegate, @unchecked Sendable {
    let eventLoop: EventLoop
    private let lock = NIOLock()
    private let finished = DispatchSemaphore(value: 0)
    private var _status: Int?
    private var _headers: [(String, String)] = []
    private var _body: [UInt8] = []
    private var _bodyCalls = 0
    private var _finishes: [UpstreamFailure?] = []
    private var _violations: [String] = []
    var onHead: (() -> Void)?
    var onBody: ((Int) -> Void)?

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    var status: Int? { lock.withLock { _status } }
    var headers: [(String, String)] { lock.withLock { _headers } }
    var body: [UInt8] { lock.withLock { _body } }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var bodyCalls: Int { lock.withLock { _bodyCalls } }
    var finishes: [UpstreamFailure?] { lock.withLock { _finishes } }
    var violations: [String] { lock.withLock { _violations } }
    /// Every delegate call so far (head + body + finish).
    var callCount: Int { lock.withLock { (_status == nil ? 0 : 1) + _bodyCalls + _finishes.count } }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }

    private func check(_ what: String) {
        if !eventLoop.inEventLoop { _violations.append("\(what) off the event loop") }
        if !_finishes.isEmpty { _violations.append("\(what) after finish") }
    }

    func upstreamDidReceiveHead(status: Int, headers: [(String, String)]) {
        lock.withLock {
            check("head")
            if _status != nil { _violations.append("second head") }
            _status = status
            _headers = headers
        }
        onHead?()
    }

    func upstreamDidReceiveBody(_ bytes: ByteBuffer) {
        let calls: Int = lock.withLock {
            check("body")
            if _status == nil { _violations.append("body before head") }
            _body.append(contentsOf: bytes.readableBytesView)
            _bodyCalls += 1
            return _bodyCalls
        }
        onBody?(calls)
    }

    func upstreamDidFinish(_ failure: UpstreamFailure?) {
        lock.withLock {
            check("finish")
            _finishes.append(failure)
        }
        finished.signal()
    }

    /// Waits (bounded) for the finish call; returns its failure.
    func waitForFinish(file: StaticString = #filePath, line: UInt = #line) -> UpstreamFailure?? {
        guard finished.wait(timeout: .now() + 20) == .success else {
            XCTFail("the transfer did not finish within 20 s", file: file, line: line)
            return nil
        }
        return .some(finishes.first ?? nil)
    }
}

/// Polls `condition` until true or `seconds` pass. For conditions only
/// observable from outside (e.g. the mock's connection count).
func waitUntil(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(2_000)
    }
    return try condition()
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
