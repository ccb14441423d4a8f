import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects

/// One problem in a config file, with where it is when that is known.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var location: SourceLocation?
    /// Names the file itself when there is no position (e.g. it cannot be read).
    public var file: String?
    public var message: String

    public init(location: SourceLocation?, message: String) {
        self.location = location
        self.file = location?.file
        self.message = message
    }

    public init(file: String, message: String) {
        self.location = nil
        self.file = file
        self.message = message
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        if let file { return "\(file): \(message)" }
        return message
    }
}

/// Every problem found in one pass, in file order, so an operator fixes them
/// all at once instead of one per run.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(errors: [ConfigError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
