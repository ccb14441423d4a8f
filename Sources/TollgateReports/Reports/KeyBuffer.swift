import CSQLite

/// The bytes of one row's group key, rebuilt for every row of a scan: a
/// raw buffer that only grows, so appending costs a compare and a copy
/// (an `Array` checks capacity and uniqueness on every append, and a
/// scan appends some thirty times a row). One per slice, never shared
/// across threads.
final class KeyBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 512) {
        self.capacity = capacity
        base = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    @inline(__always) func reset() { count = 0 }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always) private func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        var size = capacity * 2
        while size < count + more { size *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = size
    }

    /// A column's value: a type tag, then the integer's eight bytes or the
    /// text's length and bytes, so NULL, 1 and "1" are different keys.
    @inline(__always) func append(_ value: OpaquePointer) {
        switch sqlite3_value_type(value) {
        case SQLITE_NULL:
            reserve(1)
            base.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
            count += 1
        case SQLITE_INTEGER:
            reserve(9)
            base.storeBytes(of: 1, toByteOffset: count, as: UInt8.self)
            base.storeBytes(of: sqlite3_value_int64(value), toByteOffset: count + 1, as: Int64.self)
            count += 9
        default:
            let text = sqlite3_value_text(value)
            let length = Int(sqlite3_value_bytes(value))
            reserve(5 + length)
            base.storeBytes(of: 2, toByteOffset: count, as: UInt8.self)
            base.storeBytes(of: UInt32(truncatingIfNeeded: length), toByteOffset: count + 1, as: UInt32.self)
            if let text, length > 0 { (base + count + 5).copyMemory(from: text, byteCount: length) }
            count += 5 + length
        }
    }

    /// The same as `append`, but a text's bytes are read where SQLite holds
    /// them (`sqlite3_value_blob`): `sqlite3_value_text` must end a text
    /// read from a record with a NUL, which copies it first. The bytes are
    /// the database's encoding (UTF-8 for a ledger), so a key made here is
    /// for telling values apart within a scan, not for reading back.
    @inline(__always) func appendInPlace(_ value: OpaquePointer) {
        guard sqlite3_value_type(value) == SQLITE_TEXT else { return append(value) }
        // blob first, then bytes: the order the SQLite documentation asks for.
        let bytes = sqlite3_value_blob(value)
        let length = Int(sqlite3_value_bytes(value))
        reserve(5 + length)
        base.storeBytes(of: 2, toByteOffset: count, as: UInt8.self)
        base.storeBytes(of: UInt32(truncatingIfNeeded: length), toByteOffset: count + 1, as: UInt32.self)
        if let bytes, length > 0 { (base + count + 5).copyMemory(from: bytes, byteCount: length) }
        count += 5 + length
    }
}
