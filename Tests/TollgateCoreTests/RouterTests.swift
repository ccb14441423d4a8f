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

/// The gateway's route table, without a channel: which handler a method
/// and path reach, and which 405 or 404 (in which dialect) the rest get.
final class RouterTests: XCTestCase {
    let router = Router.gateway(admin: AdminRoutes())

    enum Outcome: Equatable {
        case handled, methodNotAllowed(APIDialect), notFound(APIDialect)
    }

    func outcome(_ method: HTTPMethod, _ uri: String) -> Outcome {
        switch router.resolve(method, Router.path(of: uri)) {
        case .handler: return .handled
        case .methodNotAllowed(let dialect): return .methodNotAllowed(dialect)
        case .notFound(let dialect): return .notFound(dialect)
        }
    }

    func testEveryEndpointIsRouted() {
        for (method, uri) in [(HTTPMethod.POST, "/v1/chat/completions"), (.POST, "/v1/messages"), (.GET, "/v1/models"),
                              (.GET, "/healthz"), (.GET, "/readyz"), (.GET, "/metrics"), (.GET, "/admin/plugins"),
                              (.POST, "/admin/reload"), (.DELETE, "/admin/anything"), (.GET, "/v1/models?after=x")] {
            XCTAssertEqual(outcome(method, uri), .handled, "\(method) \(uri)")
        }
    }

    func testTheAPIPathsAnswer405InTheirDialect() {
        XCTAssertEqual(outcome(.GET, "/v1/chat/completions"), .methodNotAllowed(.openai))
        XCTAssertEqual(outcome(.GET, "/v1/messages"), .methodNotAllowed(.anthropic))
        XCTAssertEqual(outcome(.PUT, "/v1/messages?beta=1"), .methodNotAllowed(.anthropic))
        XCTAssertEqual(outcome(.POST, "/v1/models"), .methodNotAllowed(.openai))
    }

    func testEverythingElseIs404InOpenAIsShape() {
        XCTAssertEqual(outcome(.POST, "/healthz"), .notFound(.openai))
        XCTAssertEqual(outcome(.GET, "/v1/completions"), .notFound(.openai))
        XCTAssertEqual(outcome(.GET, "/admin"), .notFound(.openai), "only paths under /admin/ are admin routes")
        XCTAssertEqual(outcome(.GET, "/"), .notFound(.openai))
    }

    func testThePathIsTheURIWithoutItsQuery() {
        XCTAssertEqual(Router.path(of: "/v1/models"), "/v1/models")
        XCTAssertEqual(Router.path(of: "/v1/models?a=1?b"), "/v1/models")
        XCTAssertEqual(Router.path(of: "/x?"), "/x")
    }
}
