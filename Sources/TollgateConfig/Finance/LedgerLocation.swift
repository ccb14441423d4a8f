import TollgateJSON

extension TollgateConfig {
    /// The chargeback ledger the tagging plugin writes, as the plugin
    /// resolves it (docs/ledger.md): its `ledger: {path: FILE}`, absolute
    /// as is, relative under storage.dir; by default
    /// storage.dir/ledger.sqlite. Nil when no tagging plugin is configured
    /// or its ledger is off (`ledger: false`). The finance reports, the
    /// reconciliation and the dashboard read this file (read-only).
    package var ledgerPath: String? {
        guard let tagging = plugins.first(where: { $0.name == "tagging" }) else { return nil }
        var file = "ledger.sqlite"
        if case .object(let config) = tagging.config, let ledger = config["ledger"] {
            switch ledger {
            case .bool(false): return nil
            case .object(let settings):
                if case .string(let path)? = settings["path"] { file = path }
            default: break
            }
        }
        return file.hasPrefix("/") ? file : storage.dir + "/" + file
    }
}
