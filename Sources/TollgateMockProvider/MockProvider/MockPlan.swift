import TollgateJSON
import TollgateSupport
import TollgateUnits
import TollgateUpstream

/// One step of a planned response.
package enum MockPart: Sendable, Equatable {
    /// Bytes to send after waiting `delayMsBefore`. The head goes out with
    /// the first part, as a provider answers once the first token exists.
    case bytes([UInt8], delayMsBefore: Int)
    /// Send nothing more (the server closes after the stall limit).
    case stall
    /// Drop the connection without ending the response.
    case cut
}

/// What the mock will answer, decided before any byte is sent.
package struct MockPlan: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var parts: [MockPart]
    /// For the recorder: the model name without `+directives`, the failure
    /// acted out, and the request body as JSON (nil if it was not JSON).
    package var model: String
    package var failure: MockFailure?
    package var request: JSONValue?
    /// The dialect of the call (nil for the mock's own routes), and what
    /// the provider bills for it: set only for a call answered in full.
    package var api: MockAPI?
    package var usage: MockUsage?

    package init(status: Int, headers: [(String, String)], parts: [MockPart], model: String = "",
                failure: MockFailure? = nil, request: JSONValue? = nil, usage: MockUsage? = nil) {
        self.status = status
        self.headers = headers
        self.parts = parts
        self.model = model
        self.failure = failure
        self.request = request
        self.usage = usage
    }

    /// All bytes of a plan that ends normally, concatenated (tests).
    package var bodyBytes: [UInt8] {
        parts.flatMap { part -> [UInt8] in
            if case .bytes(let bytes, _) = part { return bytes }
            return []
        }
    }
}
