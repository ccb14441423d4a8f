import ArgumentParser

@main
struct TollgateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "An LLM gateway that governs token spend.",
        subcommands: [ServeCommand.self, CheckConfigCommand.self, HashKeyCommand.self, MockProviderCommand.self, ReportCommand.self,
                      AllocationCommand.self, GrantCommand.self, KeyCommand.self, ExceptionCommand.self, ExceptionsCommand.self,
                      BurstCommand.self, ForecastCommand.self, WhoamiCommand.self, DemoCommand.self, ReconcileCommand.self,
                      MigrateCommand.self]
    )
}
