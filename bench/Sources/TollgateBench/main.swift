import Foundation

// tollgate-bench: micro-benchmarks of core pieces, one subcommand each.
// Results go to bench/RESULTS.md with the command that produced them.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = Benchmarks.all[name] else {
    print("usage: tollgate-bench <\(Benchmarks.all.keys.sorted().joined(separator: "|"))> [options]")
    exit(2)
}
benchmark(Array(arguments.dropFirst()))
