import CTollgatePlugin
import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// Storage for strings the host lends to a hook: they must stay valid until
/// the hook returns, and are freed together right after. Most are copied
/// into one slab allocated at the hook's first loan (a hook reads tens of
/// short properties: a malloc and free each cost more than the copy); what
/// does not fit gets a block of its own. Nothing is kept between hooks: a
/// stream waiting for its next chunk holds no slab (4 KB x 1,000 open
/// streams was 4 MB of resident memory).
package final class BorrowArena {
    static let slabSize = 4096
    private var slab: UnsafeMutableRawPointer?
    private var slabUsed = 0
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
        let target: UnsafeMutableRawPointer
        if bytes.count <= Self.slabSize - slabUsed {
            if slab == nil { slab = .allocate(byteCount: Self.slabSize, alignment: 1) }
            target = slab! + slabUsed
            slabUsed += bytes.count
        } else {
            target = .allocate(byteCount: bytes.count, alignment: 1)
            blocks.append(target)
        }
        target.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        return tollgate_type_str(ptr: target.assumingMemoryBound(to: CChar.self), len: bytes.count)
    }

    /// Called after every hook returns.
    func reset() {
        slabUsed = 0
        slab?.deallocate()
        slab = nil
        guard !blocks.isEmpty else { return }
        for block in blocks { block.deallocate() }
        blocks.removeAll(keepingCapacity: true)
    }

    deinit {
        reset()
    }
}

extension tollgate_type_str {
    /// The bytes as a String; invalid UTF-8 is nil (host setters refuse it).
    /// (ASCII, nearly every name and label, skips the validating decoder,
    /// which costs far more than this scan.)
    var validatedString: String? {
        guard len > 0 else { return "" }
        guard let ptr else { return nil }
        return ptr.withMemoryRebound(to: UInt8.self, capacity: len) {
            let bytes = UnsafeBufferPointer(start: $0, count: len)
            if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    var bytes: [UInt8] {
        guard let ptr, len > 0 else { return [] }
        return ptr.withMemoryRebound(to: UInt8.self, capacity: len) { Array(UnsafeBufferPointer(start: $0, count: len)) }
    }
}
