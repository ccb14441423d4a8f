// Conversions between Swift strings and the ABI's (pointer, length) strings.
// Hot paths call these per property read, so they avoid Foundation and
// intermediate arrays.

extension String {
    /// Copies a borrowed host string.

    init(tollgate str: tollgate_type_str) {
        guard let ptr = str.ptr, str.len > 0 else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: ptr, count: str.len), as: UTF8.self)
    }
}

/// Lends `string` to the host as a tollgate_type_str for the duration of
/// `body` (the host copies whatever it keeps).

func withTollgateStr<R>(_ string: String, _ body: (tollgate_type_str) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { buffer in
        let ptr = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        return try body(tollgate_type_str(ptr: ptr, len: buffer.count))
    }
}

/// Lends several strings as one array of tollgate_type_str, with no heap
/// allocation: the array is on the stack and each string lends its own
/// UTF-8 storage (hook paths call this per header, attribute and metric).
func withTollgateStrs<R>(_ strings: [String], _ body: (UnsafeBufferPointer<tollgate_type_str>) -> R) -> R {
    switch strings.count {
    case 0:
        return body(UnsafeBufferPointer(start: nil, count: 0))
    case 1:
        return withTollgateStr(strings[0]) { a in withUnsafePointer(to: a) { body(UnsafeBufferPointer(start: $0, count: 1)) } }
    case 2:
        // Pairs (a map entry, two labels) are the common case: no loop.
        return withTollgateStr(strings[0]) { a in
            withTollgateStr(strings[1]) { b in
                withUnsafeTemporaryAllocation(of: tollgate_type_str.self, capacity: 2) { strs in
                    strs.baseAddress!.initialize(to: a)
                    (strs.baseAddress! + 1).initialize(to: b)
                    return body(UnsafeBufferPointer(strs))
                }
            }
        }
    default:
        break
    }
    return withUnsafeTemporaryAllocation(of: tollgate_type_str.self, capacity: strings.count) { strs in
        func lend(from index: Int) -> R {
            guard index < strings.count else { return body(UnsafeBufferPointer(strs)) }
            var string = strings[index]
            return string.withUTF8 { buffer in
                let ptr = buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
                (strs.baseAddress! + index).initialize(to: tollgate_type_str(ptr: ptr, len: buffer.count))
                return lend(from: index + 1)
            }
        }
        return lend(from: 0)
    }
}

/// Writes `message` into a host-owned error buffer of `capacity` bytes,
/// on one line, cut at a UTF-8 boundary so the host never reads half a
/// character. Returns the number of bytes written.
func writeErrorMessage(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int) -> Int {
    guard let buffer, capacity > 0 else { return 0 }
    var bytes = Array(message.utf8)
    for i in bytes.indices where bytes[i] == 0x0A || bytes[i] == 0x0D { bytes[i] = 0x20 }
    var count = min(bytes.count, capacity)
    // bytes[count] is the first byte left out: if it continues a character,
    // that character would be cut, so leave it out whole.
    while count > 0, count < bytes.count, bytes[count] & 0xC0 == 0x80 { count -= 1 }
    bytes.withUnsafeBytes { raw in
        if count > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress!, byteCount: count) }
    }
    return count
}
