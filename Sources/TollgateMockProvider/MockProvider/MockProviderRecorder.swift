import NIOConcurrencyHelpers
import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// What the mock server has seen, for `/_mock/stats` and `/_mock/requests`,
/// and what it billed, for the usage and cost report endpoints.
package final class MockProviderRecorder: @unchecked Sendable {
    static let keptRequests = 100

    private let lock = NIOLock()
    private var total = 0
    private var byModel: [String: Int] = [:]
    private var byFailure: [String: Int] = [:]
    /// Ring of the last `keptRequests` bodies; `next` is the oldest slot once full.
    private var requests: [JSONValue] = []
    private var next = 0
    private var connectionsOpened = 0
    private var connectionsOpen = 0
    private var billing = MockBilling()

    func connectionOpened() { lock.withLock { connectionsOpened += 1; connectionsOpen += 1 } }
    func connectionClosed() { lock.withLock { connectionsOpen -= 1 } }

    /// `second`: when the call was served (Unix seconds), which decides the
    /// UTC day it is billed on.
    func record(_ plan: MockPlan, body: [UInt8], atSecond second: Int64) {
        let value = plan.request ?? .string(String(decoding: body, as: UTF8.self))
        lock.withLock {
            if let api = plan.api, let usage = plan.usage {
                billing.add(api: api, atSecond: second, model: plan.model, usage: usage)
            }
            total += 1
            byModel[plan.model, default: 0] += 1
            if let failure = plan.failure { byFailure[failure.rawValue, default: 0] += 1 }
            if requests.count < Self.keptRequests {
                requests.append(value)
            } else {
                requests[next] = value
                next = (next + 1) % Self.keptRequests
            }
        }
    }

    func reset() {
        lock.withLock {
            total = 0
            byModel = [:]
            byFailure = [:]
            connectionsOpened = connectionsOpen
            requests = []
            next = 0
            billing = MockBilling()
        }
    }

    /// Every billed call so far.
    var billed: MockBilling { lock.withLock { billing } }

    func statsJSON() -> [UInt8] {
        lock.withLock {
            func counts(_ map: [String: Int]) -> JSONValue {
                .object(JSONObject(map.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) }))
            }
            return JSONValue.object(JSONObject([
                ("requests", .int(total)),
                ("by_model", counts(byModel)),
                ("by_failure", counts(byFailure)),
                // Lets tests see connection reuse and that a cancel closed one.
                ("connections_opened", .int(connectionsOpened)),
                ("connections_open", .int(connectionsOpen)),
            ])).serialized()
        }
    }

    /// Oldest first.
    func requestsJSON() -> [UInt8] {
        lock.withLock {
            let ordered = Array(requests[next...] + requests[..<next])
            return JSONValue.array(ordered).serialized()
        }
    }
}
