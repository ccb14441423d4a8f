import TollgateABI
import TollgatePluginKit

// Host properties (ABI 1.2, get_host_string): the gateway answers every
// TOLLGATE_HOST_PROP_* (an unset one as ""), and lends the bytes until
// on_destroy; the fake does the same with what the test gave it.

extension FakeHost {
    /// The values get_host_string answers, by TOLLGATE_HOST_PROP_*: the
    /// storage directory ("" unless the test gives one), the instance name
    /// (the descriptor's name under PluginUnderTest), the host version
    /// ("fake") and the config path ("").
    static func defaultHostStrings(storageDirectory: String, instanceName: String) -> [Int32: String] {
        [TOLLGATE_HOST_PROP_STORAGE_DIR: storageDirectory, TOLLGATE_HOST_PROP_INSTANCE_NAME: instanceName,
         TOLLGATE_HOST_PROP_HOST_VERSION: "fake", TOLLGATE_HOST_PROP_CONFIG_PATH: ""]
    }

    /// The host property's bytes, valid as long as the host (nil for an id
    /// the header does not define).
    func hostString(_ property: Int32) -> tollgate_type_str? {
        hostStringStorage.withLock { storage in
            if let lent = storage.lent[property] { return lent }
            guard let value = storage.values[property] else { return nil }
            let bytes = Array(value.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            storage.buffers.append(buffer)
            let lent = tollgate_type_str(ptr: bytes.isEmpty ? nil : buffer.baseAddress!.assumingMemoryBound(to: CChar.self),
                                         len: bytes.count)
            storage.lent[property] = lent
            return lent
        }
    }
}

/// The host strings and the buffers lent for them (freed with the host).
struct HostStringStorage {
    var values: [Int32: String]
    var lent: [Int32: tollgate_type_str] = [:]
    var buffers: [UnsafeMutableRawBufferPointer] = []
}

extension FakeHostTable {
    static func installHostStrings(_ api: inout tollgate_type_host_api) {
        api.get_host_string = { hostPointer, property, out in
            guard let host = FakeHostTable.host(hostPointer) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            if let refusal = HostFunction.getHostString.refusal(in: host.phase, present: out != nil) { return refusal }
            guard let value = host.hostString(property) else { return TOLLGATE_STATUS_INVALID_ARGUMENT }
            out!.pointee = value
            return TOLLGATE_STATUS_OK
        }
    }
}
