// swift-tools-version:6.0
import PackageDescription

// kq links Glibc only (no Foundation), and release builds are fully static executables (no
// dynamic symbol binding at start), so a one-record produce or consume process starts in ~1 ms.
// Hot loops touch class-held buffers per record; the runtime's dynamic exclusivity checks
// cost 40% of produce's instructions (callgrind), so release builds rely on the static checks.
let releaseSpeed: [SwiftSetting] = [
  .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release))
]

let package = Package(
  name: "kq",
  targets: [
    .target(name: "CKQCRC32C"),
    // fork, prctl(PR_SET_PDEATHSIG) and what runs before exec, which Swift cannot do safely.
    .target(name: "CKQSpawn"),
    .target(name: "KQStorage", dependencies: ["CKQCRC32C", "KQCompression"], exclude: ["FORMAT.md"], swiftSettings: releaseSpeed),
    // Kafka's batch codecs (gzip, snappy, lz4, zstd); gzip through the system zlib, linked
    // statically into release builds like everything else.
    .systemLibrary(name: "CKQZlib"),
    .target(name: "KQCompression", dependencies: ["CKQZlib"], exclude: ["README.md"], swiftSettings: releaseSpeed),
    .target(name: "KQCommands", dependencies: ["KQStorage", "KQCompression", "CKQSpawn"], swiftSettings: releaseSpeed),
    .executableTarget(
      name: "kq", dependencies: ["KQCommands"],
      linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))]),
    .target(name: "KQKafka", dependencies: ["CKQCRC32C"], exclude: ["README.md"]),
    .target(name: "KQTestSupport", dependencies: ["KQCommands", "KQStorage", "KQCompression"]),
    .testTarget(name: "KQStorageTests", dependencies: ["KQStorage", "KQCompression", "KQTestSupport"]),
    .testTarget(name: "KQCommandsTests", dependencies: ["KQCommands", "KQTestSupport"]),
    .testTarget(name: "KQEndToEndTests", dependencies: ["KQTestSupport", "kq", "kq-fuzz"]),
    .testTarget(name: "KQKafkaTests", dependencies: ["KQKafka", "KQTestSupport", "CKQCRC32C"]),
    .testTarget(name: "KQCompressionTests", dependencies: ["KQCompression", "KQTestSupport"]),
    // libFuzzer targets (Tests/Fuzz/README.md): run.sh builds them with -sanitize=fuzzer; an
    // ordinary build is the replayer `swift test` runs the committed corpus through.
    .executableTarget(
      name: "kq-fuzz", dependencies: ["KQStorage", "KQCommands", "KQCompression"], path: "Tests/Fuzz/Targets",
      swiftSettings: releaseSpeed),
    // Release-build codec throughput (Tests/Benchmarks/codecs.sh); not a test, not in kq.
    .executableTarget(
      name: "kq-codec-bench", dependencies: ["KQCompression"], path: "Tests/Benchmarks/CodecBench",
      swiftSettings: releaseSpeed),
  ]
)
