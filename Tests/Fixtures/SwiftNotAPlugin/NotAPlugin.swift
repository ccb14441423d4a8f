// A Swift shared library with protocol conformances but no Tollgate entry
// symbol. Loading it registers conformances with the Swift runtime, so the
// loader must never dlclose it (the next dynamic cast would crash).
public protocol Greeter { func greet() -> String }
public struct English: Greeter, CustomStringConvertible, Hashable {
    public func greet() -> String { "hello" }
    public var description: String { greet() }
}
public enum Mood: String, CaseIterable, Codable { case calm, busy }
