import XCTest
final class TollgatePluginKitTestsPlaceholder: XCTestCase { func testNothing() {} }
