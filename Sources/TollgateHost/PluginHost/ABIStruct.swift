import TollgateSupport
import TollgateJSON
import TollgateUnits
import TollgateDialects
import TollgateConfig
import TollgateSQLite
import TollgateABI

/// The ABI's append-only rule for structs that cross the boundary: a
/// reader or writer touches a field only if the other side's `struct_size`
/// says the struct has it.
package enum ABIStruct {
    /// The bytes a struct must have to contain `field` (its end offset).
    static func end<Root, Value>(of field: KeyPath<Root, Value>) -> Int {
        MemoryLayout<Root>.offset(of: field)! + MemoryLayout<Value>.size
    }

    static func contains<Root, Value>(_ field: KeyPath<Root, Value>, size: UInt32) -> Bool {
        Int(size) >= end(of: field)
    }
}
