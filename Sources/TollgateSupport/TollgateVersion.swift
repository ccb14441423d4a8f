/// The gateway's version, as it names itself upstream and in logs.
package enum TollgateVersion {
    package static let string = "0.1.0"
}
