import NIOCore
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

final class SSESplitterTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// All events one feed yields, then the trailing one from finish().
    private func splitWhole(_ input: [UInt8], max: Int = 1 << 20) throws -> [SSEEvent] {
        var splitter = SSESplitter(maxEventBytes: max)
        var events = try splitter.feed(input)
        if let last = try splitter.finish() { events.append(last) }
        return events
    }

    private func split(_ input: [UInt8], at cuts: [Int]) throws -> [SSEEvent] {
        var splitter = SSESplitter()
        var events: [SSEEvent] = []
        var start = 0
        for cut in cuts + [input.count] {
            events += try splitter.feed(input[start..<cut])
            start = cut
        }
        if let last = try splitter.finish() { events.append(last) }
        return events
    }

    /// The property the hot path relies on: chunking never changes the result.
    private func assertChunkingInvariant(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let input = bytes(text)
        let whole = try splitWhole(input)
        XCTAssertEqual(whole.flatMap(\.raw), input, "raw bytes must reassemble the stream", file: file, line: line)
        for cut in 0...input.count {
            XCTAssertEqual(try split(input, at: [cut]), whole, "split at \(cut)", file: file, line: line)
        }
        for a in 0...input.count where a % 3 == 0 {
            for b in a...input.count {
                XCTAssertEqual(try split(input, at: [a, b]), whole, "split at \(a),\(b)", file: file, line: line)
            }
        }
        XCTAssertEqual(try split(input, at: Array(1..<max(1, input.count))), whole, "1-byte feeds", file: file, line: line)
    }

    /// The word-at-a-time search finds the same line ending as a byte loop,
    /// at every offset, around bytes that differ from CR or LF by one bit
    /// (0x0B, 0x0C, 0x0E, 0x8A, 0x8D) and with NUL and 0xFF next to it.
    func testLineEndingMatchesAByteByByteScan() {
        let fillers: [UInt8] = [0x00, 0x01, 0x09, 0x0B, 0x0C, 0x0E, 0x8A, 0x8D, 0xFF, 0x61]
        for length in 0...27 {
            for terminator: UInt8? in [nil, 0x0A, 0x0D] {
                for position in 0..<max(1, length) {
                    for n in fillers.indices {
                        var bytes = (0..<length).map { fillers[($0 + n) % fillers.count] }
                        if let terminator, position < length { bytes[position] = terminator }
                        for from in [0, min(1, length), length / 2] {
                            let expected = (from..<length).first { bytes[$0] == 0x0A || bytes[$0] == 0x0D } ?? length
                            let found = bytes.withUnsafeBufferPointer { SSESplitter.lineEnding($0, from: from, to: length) }
                            XCTAssertEqual(found, expected, "\(bytes) from \(from)")
                        }
                    }
                }
            }
        }
    }

    func testOpenAIStyleStream() throws {
        let text = "data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.map(\.dataString), ["{\"a\":1}", "{\"b\":2}", "[DONE]"])
        XCTAssertEqual(events[0].raw, bytes("data: {\"a\":1}\n\n"))
        XCTAssertNil(events[0].event)
        try assertChunkingInvariant(text)
    }

    func testAnthropicStyleStreamWithEventNames() throws {
        let text = "event: message_start\ndata: {\"x\":1}\n\nevent: ping\ndata: {}\n\nevent: message_stop\ndata: {}\n\n"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.map(\.event), ["message_start", "ping", "message_stop"])
        XCTAssertEqual(events[0].dataString, "{\"x\":1}")
        try assertChunkingInvariant(text)
    }

    func testCRLFLineEndings() throws {
        let text = "event: a\r\ndata: one\r\n\r\ndata: two\r\ndata: three\r\n\r\n"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[0].raw, bytes("event: a\r\ndata: one\r\n\r\n"))
        XCTAssertEqual(events[1].dataString, "two\nthree")
        try assertChunkingInvariant(text)
    }

    func testBareCRLineEndings() throws {
        let text = "data: one\r\rdata: two\rdata: x\r\r"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.map(\.dataString), ["one", "two\nx"])
        XCTAssertEqual(events[0].raw, bytes("data: one\r\r"))
        try assertChunkingInvariant(text)
    }

    func testMixedEndingsCommentsAndEmptyFields() throws {
        let text = ": keep-alive\n\n:comment\r\ndata\r\ndata:no-space\ndata:  two spaces\nevent\nid: 7\n\ndata: tail"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.count, 3)
        XCTAssertFalse(events[0].hasData, "a comment-only block has no data")
        XCTAssertEqual(events[0].raw, bytes(": keep-alive\n\n"))
        XCTAssertTrue(events[1].hasData)
        XCTAssertEqual(events[1].dataString, "\nno-space\n two spaces", "a field without a value is an empty data line")
        XCTAssertEqual(events[1].event, "")
        XCTAssertEqual(events[2].dataString, "tail", "finish() returns the unterminated trailing event")
        try assertChunkingInvariant(text)
    }

    func testLeadingBlankLinesJoinTheNextEvent() throws {
        let text = "\n\r\ndata: a\n\n\n\ndata: b\n\n"
        let events = try splitWhole(bytes(text))
        XCTAssertEqual(events.map(\.dataString), ["a", "b"])
        XCTAssertEqual(events[1].raw, bytes("\n\ndata: b\n\n"))
        try assertChunkingInvariant(text)
    }

    func testEventEndingInBareCRIsHeldUntilTheNextByte() throws {
        var splitter = SSESplitter()
        XCTAssertEqual(try splitter.feed(bytes("data: a\r\r")), [], "the terminator may still grow an LF")
        let events = try splitter.feed(bytes("\ndata: b\n\n"))
        XCTAssertEqual(events.map(\.raw), [bytes("data: a\r\r\n"), bytes("data: b\n\n")])
    }

    func testSeveralEventsInOneFeedAndNothingPendingAfter() throws {
        var splitter = SSESplitter()
        XCTAssertEqual(try splitter.feed(bytes("data: 1\n\ndata: 2\n\ndata: 3")).count, 2)
        XCTAssertEqual(try splitter.feed(bytes("\n\n")).map(\.dataString), ["3"])
        XCTAssertNil(try splitter.finish())
    }

    func testOversizedEventIsReportedAfterTheCompleteOnes() throws {
        var splitter = SSESplitter(maxEventBytes: 16)
        let events = try splitter.feed(bytes("data: ok\n\ndata: 0123456789012345678"))
        XCTAssertEqual(events.map(\.dataString), ["ok"])
        XCTAssertThrowsError(try splitter.feed(bytes("\n\n"))) { error in
            XCTAssertEqual(error as? SSEEventTooLarge, SSEEventTooLarge(limit: 16))
        }
        var fresh = SSESplitter(maxEventBytes: 16)
        XCTAssertThrowsError(try fresh.feed(bytes("data: 0123456789012345678\n\n")))
    }

    func testByteBufferFeed() throws {
        var splitter = SSESplitter()
        var buffer = ByteBufferAllocator().buffer(capacity: 32)
        buffer.writeString("data: x\n\n")
        XCTAssertEqual(try splitter.feed(buffer).map(\.dataString), ["x"])
    }
}
