// swift-tools-version:6.0
import PackageDescription

// The plugin kit: everything a plugin built outside this repository needs,
// and nothing else — no dependency on any other package, so a plugin
// package that depends on this one resolves nothing from the network.
//
//   .package(path: "/path/to/tollgate/tollgate-plugin-kit")
//   .product(name: "TollgatePluginKit", package: "tollgate-plugin-kit")
//
// SwiftPM names a path dependency after its folder, so this folder keeps
// the package's name. The gateway's own Package.swift (one level up)
// depends on this package the same way. docs/plugins.md has the rest.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "tollgate-plugin-kit",
    platforms: [.macOS(.v14)],
    products: [
        // What a plugin author uses.
        .library(name: "TollgatePluginKit", targets: ["TollgatePluginKit"]),
        .library(name: "TollgatePluginTesting", targets: ["TollgatePluginTesting"]),
        // What the gateway's core uses too (TollgatePluginKit re-exports them).
        .library(name: "CTollgatePlugin", targets: ["CTollgatePlugin"]),
        .library(name: "TollgateABI", targets: ["TollgateABI"]),
        .library(name: "TollgateJSON", targets: ["TollgateJSON"]),
        .library(name: "TollgateUnits", targets: ["TollgateUnits"]),
    ],
    targets: [
        // The ABI: one C header, nothing else.
        .target(name: "CTollgatePlugin"),
        // The ABI's rules in Swift, one copy for both hosts: which host
        // function works in which hook, which out-parameters may be NULL,
        // the outcome strings, status names, route rules. The gateway and
        // the fake host (TollgatePluginTesting) both consult it.
        .target(name: "TollgateABI", dependencies: ["CTollgatePlugin", "TollgateJSON"]),
        // JSON that round-trips faithfully (ordered keys, exact numbers).
        // Shared by the core and the plugin kit; each image links its own copy.
        .target(name: "TollgateJSON", swiftSettings: swift5),
        // The units of account shared by the core and plugins: money as Int64
        // nano-dollars parsed exactly, and UTC calendar arithmetic.
        .target(name: "TollgateUnits", swiftSettings: swift5),
        // The Swift SDK over the C ABI: what a Swift plugin imports.
        .target(name: "TollgatePluginKit", dependencies: ["CTollgatePlugin", "TollgateABI", "TollgateJSON", "TollgateUnits"],
                swiftSettings: swift5),
        // A fake host and an in-process loader, for plugin tests.
        .target(name: "TollgatePluginTesting", dependencies: ["CTollgatePlugin", "TollgateABI", "TollgatePluginKit"],
                swiftSettings: swift5),
    ]
)
