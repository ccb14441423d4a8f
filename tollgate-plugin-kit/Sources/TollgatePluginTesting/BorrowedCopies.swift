import CTollgatePlugin

/// The copies the fake host lends a plugin during one hook: poisoned and
/// freed when the hook returns, so a plugin that keeps a borrowed pointer
/// reads garbage in tests, not by luck the right bytes.
struct BorrowedCopies {
    private var buffers: [UnsafeMutableRawBufferPointer] = []

    /// A host-owned copy of `bytes`, valid until `returnAll()`.
    mutating func lend<Bytes: Collection>(_ bytes: Bytes) -> tollgate_type_str where Bytes.Element == UInt8 {
        let count = bytes.count
        guard count > 0 else { return tollgate_type_str(ptr: nil, len: 0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
        buffers.append(buffer)
        return tollgate_type_str(ptr: buffer.baseAddress!.assumingMemoryBound(to: CChar.self), len: count)
    }

    /// Poisons and frees everything lent.
    mutating func returnAll() {
        for buffer in buffers {
            buffer.initializeMemory(as: UInt8.self, repeating: 0xDB)
            buffer.deallocate()
        }
        buffers.removeAll()
    }
}
