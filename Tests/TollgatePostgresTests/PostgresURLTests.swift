import TollgatePostgres
import XCTest

/// Connection URLs as libpq writes them; errors that never repeat the URL
/// (it holds the password).
final class PostgresURLTests: XCTestCase {
    func testTheFormsOperatorsWrite() throws {
        let full = try PostgresURL.parse("postgres://gateway:s%40cret@db.internal:6432/tollgate?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        XCTAssertEqual(full.host, "db.internal")
        XCTAssertEqual(full.port, 6432)
        XCTAssertEqual(full.user, "gateway")
        XCTAssertEqual(full.password, "s@cret")
        XCTAssertEqual(full.database, "tollgate")
        XCTAssertEqual(full.tlsMode, .verifyFull)
        XCTAssertEqual(full.rootCertificate, "/etc/ca.pem")
        XCTAssertEqual(full.target, "gateway@db.internal:6432/tollgate", "no password")

        let plain = try PostgresURL.parse("postgresql://u@127.0.0.1/t")
        XCTAssertEqual(plain.port, 5432)
        XCTAssertNil(plain.password)
        XCTAssertEqual(plain.tlsMode, .prefer, "libpq's default")

        let socket = try PostgresURL.parse("postgres://u@/t?host=/var/run/postgresql")
        XCTAssertEqual(socket.unixSocketPath, "/var/run/postgresql/.s.PGSQL.5432")
        XCTAssertEqual(try PostgresURL.parse("postgres://u@[::1]:5433/t").host, "::1")
    }

    func testMistakesSayWhatIsWrongWithoutThePassword() {
        let cases = [
            "mysql://u:hunter2@h/t": "the scheme is 'mysql'",
            "postgres://u:hunter2@h": "no database name",
            "postgres://u:hunter2@h/t?sslmode=maybe": "sslmode 'maybe' is not one of",
            "postgres://u:hunter2@h/t?sslmod=disable": "unknown parameter 'sslmod'",
            "not a url at all": "not a URL",
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try PostgresURL.parse(text)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
                XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
            }
        }
    }
}
