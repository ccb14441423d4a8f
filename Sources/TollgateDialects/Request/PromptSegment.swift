import TollgateSupport
import TollgateJSON
import TollgateUnits

/// One text part of one message of a request, with where it lives in the
/// body so an edit can be written back.
public struct PromptSegment: Sendable, Equatable {
    public enum PathComponent: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public var role: String
    public var text: String
    var path: [PathComponent]
}
