import ArgumentParser
import TollgateSupport
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateReports
import TollgateMockProvider
import TollgateProxy
import TollgateUnits

struct HashKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-key",
        abstract: "Print the SHA-256 of a virtual key, for the `sha256:` field of a key in the config.")

    @Argument(help: "The plaintext key. It is not stored anywhere.")
    var key: String

    func run() {
        print(KeyStore.sha256Hex(key))
    }
}
