import NIOCore
import NIOEmbedded
import NIOHTTP1
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

/// The writer on an embedded channel with NIO's HTTP response encoder:
/// what reaches the wire.
final class ResponseWriterTests: XCTestCase {
    private final class ContextGrabber: ChannelInboundHandler {
        typealias InboundIn = Never
        var context: ChannelHandlerContext?
        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    }

    private func wire(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func testStreamEventsWrittenInOneTurnGoOutAsOneChunk() throws {
        let grabber = ContextGrabber()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        try channel.pipeline.syncOperations.addHandler(grabber)
        let writer = ResponseWriter(context: try XCTUnwrap(grabber.context), keepAlive: true, version: .http1_1)

        writer.startStream(status: 200, headers: [("content-type", "text/event-stream")])
        writer.write(Array("data: 1\n\n".utf8))
        writer.write(Array("data: 2\n\n".utf8))
        writer.write(Array("data: 3\n\n".utf8))
        XCTAssertFalse(try wire(channel).contains("data:"), "nothing goes out before the flush")
        writer.flush()
        let first = try wire(channel)
        XCTAssertTrue(first.hasSuffix("1b\r\ndata: 1\n\ndata: 2\n\ndata: 3\n\n\r\n"), first)
        writer.write(Array("data: 4\n\n".utf8))
        writer.end()
        XCTAssertEqual(try wire(channel), "9\r\ndata: 4\n\n\r\n0\r\n\r\n", "the end writes what is gathered first")
        writer.write(Array("late".utf8))
        writer.flush()
        XCTAssertEqual(try wire(channel), "", "nothing after the end")
        _ = try channel.finish()
    }
}
