// Money and UTCCalendar are the core's units too; everything that imports
// TollgateCore (the CLI, the tests) gets them with it.
@_exported import TollgateUnits
