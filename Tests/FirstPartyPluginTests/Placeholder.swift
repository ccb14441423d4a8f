import XCTest
final class FirstPartyPluginTestsPlaceholder: XCTestCase { func testNothing() {} }
