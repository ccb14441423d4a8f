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

/// Lends several strings as one array of tollgate_type_str: the bytes are
/// packed into a single buffer so the cost is two allocations, whatever the
/// count.
func withTollgateStrs<R>(_ strings: [String], _ body: (UnsafeBufferPointer<tollgate_type_str>) throws -> R) rethrows -> R {
    if strings.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
    if strings.count == 1 {
        return try withTollgateStr(strings[0]) { str in
            try withUnsafePointer(to: str) { try body(UnsafeBufferPointer(start: $0, count: 1)) }
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(strings.reduce(0) { $0 + $1.utf8.count })
    var ends: [Int] = []
    ends.reserveCapacity(strings.count)
    for s in strings {
        bytes.append(contentsOf: s.utf8)
        ends.append(bytes.count)
    }
    return try bytes.withUnsafeBufferPointer { packed in
        let base = packed.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        var strs: [tollgate_type_str] = []
        strs.reserveCapacity(strings.count)
        var start = 0
        for end in ends {
            strs.append(tollgate_type_str(ptr: base.map { $0 + start }, len: end - start))
            start = end
        }
        return try strs.withUnsafeBufferPointer(body)
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
