import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// One problem in a config file, with where it is when that is known.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    package var location: SourceLocation?
    /// Names the file itself when there is no position (e.g. it cannot be read).
    package var file: String?
    package var message: String

    package init(location: SourceLocation?, message: String) {
        self.location = location
        self.file = location?.file
        self.message = message
    }

    package init(file: String, message: String) {
        self.location = nil
        self.file = file
        self.message = message
    }

    package var description: String {
        if let location { return "\(location): \(message)" }
        if let file { return "\(file): \(message)" }
        return message
    }
}

/// Every problem found in one pass, in file order, so an operator fixes them
/// all at once instead of one per run.
package struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    package var errors: [ConfigError]

    package init(errors: [ConfigError]) { self.errors = errors }

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
