import TollgateABI

/// Rules for header names and values plugins set, so a plugin cannot split
/// a response (CR/LF injection) or send an invalid header. They are the
/// ABI's (the test kit's fake host applies the same); the gateway uses them
/// under this name for its own headers too.
package typealias HTTPHeaderValidation = HTTPHeaderRules
