import CTollgatePlugin

// The counter store's host functions (ABI 1.1). Until the store is wired
// in, every call answers UNAVAILABLE.
func installCounterCallbacks(_ t: UnsafeMutablePointer<tollgate_type_host_api>) {
    t.pointee.counter_declare = { _, _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
    t.pointee.counter_reserve = { _, _, _, _, _, _, _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
    t.pointee.counter_settle = { _, _, _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
    t.pointee.counter_release = { _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
    t.pointee.counter_add = { _, _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
    t.pointee.counter_get = { _, _, _ in tollgate_type_status(TOLLGATE_STATUS_UNAVAILABLE) }
}
