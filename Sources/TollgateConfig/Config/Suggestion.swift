import TollgateUnits

/// "did you mean" for misspelt keys and names: the kit's rule (TollgateUnits'
/// NameSuggestion), the same one plugins' config readers use.
package typealias Suggestion = NameSuggestion
