// Money and UTCCalendar are the core's units too; everything that imports
// TollgateCore (the CLI, the tests) gets them with it.
@_exported import TollgateUnits
// The ABI's rules (CallOutcome, HostStatusName, HostFunction...) are the
// core's vocabulary for plugins; importers of TollgateCore get them too.
@_exported import TollgateABI
