#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TollgateSupport
import TollgateJSON
import TollgateUnits

/// Turns edited events, errors and synthetic events into SSE bytes.
package enum SSEFraming {
    package static func frame(_ event: ResponseEvent) -> [UInt8] {
        frame(name: event.eventName, data: event.data)
    }

    /// `event: NAME` (when named), then the data, one `data:` line per line
    /// of it (each line copied whole), then the blank line.
    static func frame(name: String?, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 32)
        if let name {
            out.append(contentsOf: "event: ".utf8)
            out.append(contentsOf: name.utf8)
            out.append(0x0A)
        }
        data.withUnsafeBufferPointer { data in
            var lineStart = 0
            while true {
                out.append(contentsOf: "data: ".utf8)
                // memchr: a generic firstIndex(of:) costs several
                // instructions a byte, on every event a plugin changed.
                guard let base = data.baseAddress, lineStart < data.count,
                      let hit = memchr(base + lineStart, 0x0A, data.count - lineStart) else {
                    out.append(contentsOf: data[lineStart...])
                    break
                }
                let newline = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                out.append(contentsOf: data[lineStart...newline])
                lineStart = newline + 1
                if lineStart == data.count {
                    out.append(contentsOf: "data: ".utf8)
                    break
                }
            }
        }
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}
