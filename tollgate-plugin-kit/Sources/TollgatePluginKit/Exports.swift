// A Swift plugin imports only TollgatePluginKit: JSONValue (its config),
// Money and UTCCalendar (TollgateUnits), the ABI's rules and vocabulary
// (TollgateABI: CallOutcome, RouteRole, HostFunction...), and the raw C ABI
// (for advanced use through `hostAPI` / `handle`) come with it.
@_exported import CTollgatePlugin
@_exported import TollgateABI
@_exported import TollgateJSON
@_exported import TollgateUnits
