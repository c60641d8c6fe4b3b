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
    // What every backend shares: the record batch codec, names and configs, the errors, and the
    // service protocols the commands talk to (LogService and its readers, writers, groups).
    // sched_setaffinity(2) and sched_getcpu(3), which Glibc's Swift module leaves out (_GNU_SOURCE).
    .target(name: "CKQCores"),
    // memfd_create(2) and two mappings of it back to back (MirroredRing).
    .target(name: "CKQRing"),
    // Consume's copy of values out of plain batches, with AVX2 moves where the CPU has them.
    .target(name: "CKQValues"),
    .target(name: "KQLog", dependencies: ["CKQCRC32C", "CKQCores", "CKQRing", "CKQValues", "KQCompression"], swiftSettings: releaseSpeed),
    // The local engine: a data directory of segment files.
    .target(name: "CKQPrefetch"),
    .target(name: "CKQWriteback"),
    .target(name: "KQStorage", dependencies: ["KQLog", "CKQPrefetch", "CKQWriteback", "KQCompression"], exclude: ["FORMAT.md"], swiftSettings: releaseSpeed),
    // Kafka's batch codecs (gzip, snappy, lz4, zstd); gzip through the system zlib, linked
    // statically into release builds like everything else.
    .systemLibrary(name: "CKQZlib"),
    .target(name: "KQCompression", dependencies: ["CKQZlib"], exclude: ["README.md"], swiftSettings: releaseSpeed),
    .target(name: "KQCommands", dependencies: ["KQLog", "KQCompression", "CKQSpawn"], swiftSettings: releaseSpeed),
    // Opens the service a command names: a data directory (KQStorage) or a cluster (KQKafka).
    .target(name: "KQBackends", dependencies: ["KQLog", "KQStorage", "KQKafka"], swiftSettings: releaseSpeed),
    .executableTarget(
      name: "kq", dependencies: ["KQCommands", "KQBackends"],
      linkerSettings: [.unsafeFlags(["-static-executable"], .when(configuration: .release))]),
    .target(name: "KQKafka", dependencies: ["KQLog", "CKQCRC32C"], exclude: ["README.md"], swiftSettings: releaseSpeed),
    .target(name: "KQTestSupport", dependencies: ["KQCommands", "KQBackends", "KQStorage", "KQLog", "KQCompression"]),
    .testTarget(name: "KQStorageTests", dependencies: ["KQStorage", "KQLog", "KQCompression", "KQTestSupport", "CKQValues"]),
    .testTarget(name: "KQCommandsTests", dependencies: ["KQCommands", "KQLog", "KQTestSupport"]),
    .testTarget(name: "KQEndToEndTests", dependencies: ["KQTestSupport", "kq", "kq-fuzz"]),
    .testTarget(name: "KQKafkaTests", dependencies: ["KQKafka", "KQLog", "KQTestSupport", "CKQCRC32C"]),
    .testTarget(name: "KQCompressionTests", dependencies: ["KQCompression", "KQTestSupport"]),
    // libFuzzer targets (Tests/Fuzz/README.md): run.sh builds them with -sanitize=fuzzer; an
    // ordinary build is the replayer `swift test` runs the committed corpus through.
    .executableTarget(
      name: "kq-fuzz", dependencies: ["KQStorage", "KQLog", "KQCommands", "KQCompression"], path: "Tests/Fuzz/Targets",
      swiftSettings: releaseSpeed),
    // Release-build codec throughput (Tests/Benchmarks/codecs.sh); not a test, not in kq.
    .executableTarget(
      name: "kq-codec-bench", dependencies: ["KQCompression"], path: "Tests/Benchmarks/CodecBench",
      swiftSettings: releaseSpeed),
  ]
)
