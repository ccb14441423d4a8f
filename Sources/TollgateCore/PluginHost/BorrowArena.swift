import CTollgatePlugin

/// Storage for strings the host lends to a hook: they must stay valid until
/// the hook returns, and are freed together right after.
final class BorrowArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    func lend(_ string: String) -> tollgate_type_str {
        var s = string
        return s.withUTF8 { lend(UnsafeRawBufferPointer($0)) }
    }

    func lend(_ bytes: [UInt8]) -> tollgate_type_str {
        bytes.withUnsafeBytes { lend($0) }
    }

    func lend(_ bytes: UnsafeRawBufferPointer) -> tollgate_type_str {
        guard bytes.count > 0 else { return tollgate_type_str(ptr: nil, len: 0) }
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
        block.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        blocks.append(block)
        return tollgate_type_str(ptr: block.assumingMemoryBound(to: CChar.self), len: bytes.count)
    }

    /// Called after every hook returns.
    func reset() {
        guard !blocks.isEmpty else { return }
        for block in blocks { block.deallocate() }
        blocks.removeAll(keepingCapacity: true)
    }

    deinit { reset() }
}

extension tollgate_type_str {
    /// The bytes as a String; invalid UTF-8 is nil (host setters refuse it).
    var validatedString: String? {
        guard len > 0 else { return "" }
        guard let ptr else { return nil }
        return ptr.withMemoryRebound(to: UInt8.self, capacity: len) {
            String(validating: UnsafeBufferPointer(start: $0, count: len), as: UTF8.self)
        }
    }

    var bytes: [UInt8] {
        guard let ptr, len > 0 else { return [] }
        return ptr.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
    }
}
