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

final class MoneyTests: XCTestCase {
    func testParsesDecimalTextExactly() {
        XCTAssertEqual(Money.parseUSD("0"), 0)
        XCTAssertEqual(Money.parseUSD("0.0"), 0)
        XCTAssertEqual(Money.parseUSD("0.000000001"), 1)
        XCTAssertEqual(Money.parseUSD("0.40"), 400_000_000)
        XCTAssertEqual(Money.parseUSD("0.1"), 100_000_000)
        XCTAssertEqual(Money.parseUSD("1.60"), 1_600_000_000)
        XCTAssertEqual(Money.parseUSD("50000"), 50_000_000_000_000)
        XCTAssertEqual(Money.parseUSD("007.5"), 7_500_000_000)
        // The largest representable amount, and one nano more.
        XCTAssertEqual(Money.parseUSD("9223372036.854775807"), Int64.max)
        XCTAssertNil(Money.parseUSD("9223372036.854775808"))
    }

    func testRejectsWhatItWouldHaveToGuessOrRound() {
        XCTAssertEqual(Money.parseUSDOrExplain("0.0000000001"), .failure(.tooPrecise))
        XCTAssertEqual(Money.parseUSDOrExplain("1.1234567890"), .failure(.tooPrecise))
        XCTAssertEqual(Money.parseUSDOrExplain("-1"), .failure(.negative))
        XCTAssertEqual(Money.parseUSDOrExplain(""), .failure(.empty))
        XCTAssertEqual(Money.parseUSDOrExplain("99999999999"), .failure(.tooLarge))
        XCTAssertEqual(Money.parseUSDOrExplain("99999999999999999999999"), .failure(.tooLarge))
        for garbage in ["1e3", "1E3", ".5", "5.", "$5", "1,000", "1_000", " 1", "1 ", "+1", "0x10", "1.2.3", "abc", "١"] {
            XCTAssertEqual(Money.parseUSDOrExplain(garbage), .failure(.notADecimal), garbage)
        }
    }

    func testFormatsCentsPlainlyAndFractionsFully() {
        XCTAssertEqual(Money.format(nanos: 0), "$0.00")
        XCTAssertEqual(Money.format(nanos: 12_340_000_000), "$12.34")
        XCTAssertEqual(Money.format(nanos: 50_000_000_000_000), "$50000.00")
        XCTAssertEqual(Money.format(nanos: 400), "$0.0000004")
        XCTAssertEqual(Money.format(nanos: 1), "$0.000000001")
        XCTAssertEqual(Money.format(nanos: 12_345_000_000), "$12.345")
        XCTAssertEqual(Money.format(nanos: -1_500_000_000), "-$1.50")
        XCTAssertEqual(Money.format(nanos: Int64.min), "-$9223372036.854775808")
        XCTAssertEqual(Money.format(nanos: Int64.max), "$9223372036.854775807")
    }

    func testFormatRoundTripsThroughParse() {
        for nanos: Int64 in [0, 1, 7, 10_000_000, 123_456_789, 400_000_000, 99_999_999_999, Int64.max] {
            XCTAssertEqual(Money.parseUSD(String(Money.format(nanos: nanos).dropFirst())), nanos)
        }
    }

    // MARK: the cost formula

    let price = Price(inputPerMTokNanos: 400_000_000, outputPerMTokNanos: 1_600_000_000, cachedPerMTokNanos: 100_000_000)

    func testCostIsExactWhenItDividesEvenly() {
        // 1M input at $0.40/Mtok + 1M output at $1.60/Mtok + 1M cached at $0.10 = $2.10
        XCTAssertEqual(Cost.nanos(price: price, tokensIn: 1_000_000, tokensOut: 1_000_000, tokensCached: 1_000_000),
                       2_100_000_000)
        // 1000 in, 500 out: 0.4e9*1000/1e6 + 1.6e9*500/1e6 = 400_000 + 800_000
        XCTAssertEqual(Cost.nanos(price: price, tokensIn: 1000, tokensOut: 500, tokensCached: 0), 1_200_000)
        XCTAssertEqual(Cost.nanos(price: price, tokensIn: 0, tokensOut: 0, tokensCached: 0), 0)
    }

    func testCostRoundsUpTheFractionOfANanoDollar() {
        let tiny = Price(inputPerMTokNanos: 1, outputPerMTokNanos: 3, cachedPerMTokNanos: 0)
        XCTAssertEqual(Cost.nanos(price: tiny, tokensIn: 1, tokensOut: 0, tokensCached: 0), 1)
        XCTAssertEqual(Cost.nanos(price: tiny, tokensIn: 1_000_000, tokensOut: 0, tokensCached: 0), 1)
        XCTAssertEqual(Cost.nanos(price: tiny, tokensIn: 1_000_001, tokensOut: 0, tokensCached: 0), 2)
        // The sum is rounded once, not each term: 0.5 + 0.6 of a nano is 2, not 2+... = 2.
        let halves = Price(inputPerMTokNanos: 500_000, outputPerMTokNanos: 600_000, cachedPerMTokNanos: 0)
        XCTAssertEqual(Cost.nanos(price: halves, tokensIn: 1, tokensOut: 1, tokensCached: 0), 2)
        XCTAssertEqual(Cost.nanos(price: halves, tokensIn: 1, tokensOut: 0, tokensCached: 0), 1)
        let exact = Price(inputPerMTokNanos: 400_000, outputPerMTokNanos: 600_000, cachedPerMTokNanos: 0)
        XCTAssertEqual(Cost.nanos(price: exact, tokensIn: 1, tokensOut: 1, tokensCached: 0), 1)
    }

    func testCostUses128BitIntermediates() {
        // in * price overflows Int64 (1e10 * 5e13 = 5e23) though the result (5e17) fits.
        let pricey = Price(inputPerMTokNanos: 50_000_000_000_000, outputPerMTokNanos: 0, cachedPerMTokNanos: 0)
        XCTAssertEqual(Cost.nanos(price: pricey, tokensIn: 10_000_000_000, tokensOut: 0, tokensCached: 0),
                       500_000_000_000_000_000)
        XCTAssertEqual(Cost.nanos(price: Price(inputPerMTokNanos: Int64.max, outputPerMTokNanos: 0, cachedPerMTokNanos: 0),
                                  tokensIn: 1_000_000, tokensOut: 0, tokensCached: 0), Int64.max)
    }

    func testCostIsNilOnOverflowOrNegativeInput() {
        let max = Price(inputPerMTokNanos: Int64.max, outputPerMTokNanos: Int64.max, cachedPerMTokNanos: Int64.max)
        XCTAssertNil(Cost.nanos(price: max, tokensIn: 1_000_001, tokensOut: 0, tokensCached: 0))
        XCTAssertNil(Cost.nanos(price: max, tokensIn: Int64.max, tokensOut: Int64.max, tokensCached: Int64.max))
        XCTAssertNil(Cost.nanos(price: price, tokensIn: -1, tokensOut: 0, tokensCached: 0))
        XCTAssertNil(Cost.nanos(price: price, tokensIn: 0, tokensOut: -1, tokensCached: 0))
        XCTAssertNil(Cost.nanos(price: price, tokensIn: 0, tokensOut: 0, tokensCached: -1))
        XCTAssertNil(Cost.nanos(price: Price(inputPerMTokNanos: -1, outputPerMTokNanos: 0), tokensIn: 1,
                                tokensOut: 0, tokensCached: 0))
    }

    func testCatalogCostLooksUpThePrice() {
        let catalog = ModelCatalog(entries: [ModelEntry(name: "small", provider: .mock, price: price)])
        XCTAssertEqual(catalog.cost(model: "small", tokensIn: 1000, tokensOut: 500), 1_200_000)
        XCTAssertNil(catalog.cost(model: "large", tokensIn: 1, tokensOut: 1))
        XCTAssertEqual(Price(inputPerMTokNanos: 7, outputPerMTokNanos: 9).cachedPerMTokNanos, 7)
    }
}
