import TollgateLedger
import TollgateSQLite
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// The chargeback ledger as the report reads it. The tagging plugin owns
/// the file and creates it from the shared `LedgerSchema` (docs/ledger.md);
/// the report checks a file against it before querying.
package enum LedgerFile {
    package static var schemaVersion: Int { LedgerSchema.version }

    /// Columns the report needs.
    static let requiredColumns = ["ts_us", "request_id", "org", "team", "key_id", "owner", "key_class", "end_user",
                                  "feature", "environment", "experiment", "use_case", "tags", "provider", "deployment",
                                  "model_requested", "model_served", "api", "outcome", "status", "decided_by",
                                  "stream", "usage_estimated", "tokens_in", "tokens_out", "tokens_cached",
                                  "cost_nanos"]

    package struct Problem: Error, CustomStringConvertible {
        package var description: String
    }

    /// Opens an existing ledger for reading (never creates one) and checks
    /// it has the columns the report reads, and those `dimensions` read
    /// that a ledger of an older schema lacks.
    package static func openForReading(_ path: String, dimensions: [ReportDimension] = []) throws -> SQLiteDatabase {
        let db: SQLiteDatabase
        do {
            db = try SQLiteDatabase(path: path, readOnly: true)
        } catch {
            throw Problem(description: "cannot open the ledger \(path): \(error). Is it the tagging plugin's "
                + "ledger.sqlite (in storage.dir by default)?")
        }
        let columns: [String]
        do {
            columns = try db.query("PRAGMA table_info(ledger)").compactMap { $0.count > 1 ? $0[1].string : nil }
        } catch {
            throw Problem(description: "\(path) is not a readable SQLite ledger: \(error)")
        }
        if columns.isEmpty {
            throw Problem(description: "\(path) has no ledger table: it is not a Tollgate ledger (written by the tagging plugin)")
        }
        let missing = requiredColumns.filter { !columns.contains($0) }
        if !missing.isEmpty {
            throw Problem(description: "\(path): the ledger table lacks column(s) \(missing.joined(separator: ", ")); "
                + "it was written by an incompatible version")
        }
        for dimension in dimensions {
            let lacking = dimension.columnsSinceVersion1.filter { !columns.contains($0) }
            guard lacking.isEmpty else {
                let since = LedgerSchema.addedColumns.filter { lacking.contains($0.name) }.map(\.version).max() ?? schemaVersion
                throw Problem(description: "\(path) predates ledger schema \(since): it has no "
                    + "\(lacking.joined(separator: ", ")) column, which --by \(dimension.name) reads. The tagging plugin "
                    + "adds it (keeping every row) the next time the gateway opens this ledger")
            }
        }
        return db
    }

    /// The schema the tagging plugin creates (for synthetic ledgers in
    /// tests and benchmarks).
    package static var createStatements: String { LedgerSchema.createStatements }
}
