/// Whether the host's API table has a function: a host of an older minor
/// version hands a shorter table, and reading past its `struct_size` would
/// read garbage. Check before calling anything added after 1.0.
extension UnsafePointer where Pointee == tollgate_type_host_api {
    public func provides<T>(_ field: KeyPath<tollgate_type_host_api, T>) -> Bool {
        guard let offset = MemoryLayout<tollgate_type_host_api>.offset(of: field) else { return false }
        return Int(pointee.struct_size) >= offset + MemoryLayout<T>.size
    }
}
