import TollgatePluginKit
import TollgatePluginTesting
import XCTest

final class ReservationEstimateTests: XCTestCase {
    func testInputBoundTakesTheLargerOfBodyAndPromptPlusFraming() {
        let fixed = ReservationEstimate.fixedOverheadTokens
        let perSegment = ReservationEstimate.perSegmentOverheadTokens
        // The body (with tool schemas, JSON framing) is the larger bound.
        XCTAssertEqual(ReservationEstimate.promptTokensUpperBound(promptBytes: 100, bodyBytes: 900, segmentCount: 2),
                       900 + fixed)
        // A plugin's edit grew the prompt past the body as received.
        XCTAssertEqual(ReservationEstimate.promptTokensUpperBound(promptBytes: 1000, bodyBytes: 900, segmentCount: 3),
                       1000 + 3 * perSegment + fixed)
        XCTAssertEqual(ReservationEstimate.promptTokensUpperBound(promptBytes: 0, bodyBytes: 0), fixed)
        XCTAssertEqual(ReservationEstimate.promptTokensUpperBound(promptBytes: -5, bodyBytes: -1), fixed)
        XCTAssertEqual(ReservationEstimate.promptTokensUpperBound(promptBytes: .max, bodyBytes: 1, segmentCount: .max),
                       .max, "saturates rather than overflowing")
    }

    func testTheBoundHoldsForTextWhereEveryByteIsAToken() {
        // The worst case for a byte-level tokenizer is one token per byte:
        // the bound must still cover it, framing included.
        let call = FakeCall(prompt: [("system", "x"), ("user", String(repeating: "\u{1F600}", count: 50))])
        let bound = ReservationEstimate.promptTokensUpperBound(promptBytes: call.promptBytes, bodyBytes: call.bodyBytes,
                                                               segmentCount: Int64(call.prompt.count))
        let worstCase = call.promptBytes + 4 * Int64(call.prompt.count) + 3  // bytes + chat framing + priming
        XCTAssertGreaterThanOrEqual(bound, worstCase)
    }

    func testOutputBound() {
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: 500, catalogMaxOutput: 16384), 500)
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: 99999, catalogMaxOutput: 16384), 16384,
                       "the model cannot produce more than its maximum")
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: nil, catalogMaxOutput: 8192), 8192)
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: nil, catalogMaxOutput: nil),
                       ReservationEstimate.defaultOutputTokens)
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: nil, catalogMaxOutput: nil,
                                                                   defaultOutputTokens: 256), 256)
        XCTAssertEqual(ReservationEstimate.outputTokensUpperBound(maxOutputTokens: 300, catalogMaxOutput: nil), 300)
    }

    func testFakeHostCostFormula() {
        let small = FakeHost.defaultCatalog["small"]!  // 0.40 / 1.60 / 0.10 USD per Mtok
        XCTAssertEqual(FakeHost.cost(price: small, tokensIn: 1_000_000, tokensOut: 0, tokensCached: 0), 400_000_000)
        XCTAssertEqual(FakeHost.cost(price: small, tokensIn: 1, tokensOut: 0, tokensCached: 0), 400)
        XCTAssertEqual(FakeHost.cost(price: small, tokensIn: 0, tokensOut: 0, tokensCached: 0), 0)
        XCTAssertEqual(FakeHost.cost(price: small, tokensIn: 10, tokensOut: 20, tokensCached: 30), 4_000 + 32_000 + 3_000)
        // A price of 1 nano per Mtok: one token costs a millionth of a nano,
        // rounded up to 1.
        let tiny = Price(inputPerMtokNanos: 1, outputPerMtokNanos: 1, cachedPerMtokNanos: 1)
        XCTAssertEqual(FakeHost.cost(price: tiny, tokensIn: 1, tokensOut: 0, tokensCached: 0), 1)
        XCTAssertEqual(FakeHost.cost(price: tiny, tokensIn: 1_000_000, tokensOut: 0, tokensCached: 0), 1)
        XCTAssertEqual(FakeHost.cost(price: tiny, tokensIn: 1_000_001, tokensOut: 0, tokensCached: 0), 2)
        XCTAssertNil(FakeHost.cost(price: small, tokensIn: -1, tokensOut: 0, tokensCached: 0))
        // Int64.max tokens at 1.60 USD/Mtok does not fit in Int64 nanos.
        XCTAssertNil(FakeHost.cost(price: small, tokensIn: 0, tokensOut: .max, tokensCached: 0))
        // Products beyond 64 bits still divide exactly: 2^40 * 4e8 > 2^64.
        XCTAssertEqual(FakeHost.cost(price: small, tokensIn: 1 << 40, tokensOut: 0, tokensCached: 0), (1 << 40) * 400)
    }
}
