import Atomics
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateHost
import TollgateUpstream
import TollgateMockProvider

/// Request ids: "req_" and 16 hex digits, unique within the process.
package enum RequestID {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func make() -> String {
        var value = FastRandom.next()
        return String(unsafeUninitializedCapacity: 20) { bytes in
            bytes[0] = UInt8(ascii: "r"); bytes[1] = UInt8(ascii: "e"); bytes[2] = UInt8(ascii: "q"); bytes[3] = UInt8(ascii: "_")
            for i in 0..<16 {
                bytes[19 - i] = hex[Int(value & 0xF)]
                value >>= 4
            }
            return 20
        }
    }
}
