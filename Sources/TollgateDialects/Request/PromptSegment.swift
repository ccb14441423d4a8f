import TollgateSupport
import TollgateJSON
import TollgateUnits

/// One text part of one message of a request, with where it lives in the
/// body so an edit can be written back.
package struct PromptSegment: Sendable, Equatable {
    package enum PathComponent: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    package var role: String
    package var text: String
    var path: [PathComponent]
}
