import XCTest
final class TollgateCoreTestsPlaceholder: XCTestCase { func testNothing() {} }
