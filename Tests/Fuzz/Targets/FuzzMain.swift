import Glibc

// Two builds of one target list (Tests/Fuzz/README.md):
// - `Tests/Fuzz/run.sh` builds with `-sanitize=fuzzer,address -DKQ_FUZZING`: libFuzzer's driver
//   runs the target `KQ_FUZZ_TARGET` names, with its flags from argv.
// - An ordinary build is a replayer: `kq-fuzz TARGET FILE|FOLDER...` runs each input through the
//   target once, so `swift test` keeps every committed input (seeds and found crashes) passing.

#if KQ_FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: FuzzCallback
) -> CInt

nonisolated(unsafe) var selectedTarget: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  selectedTarget?.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
  return 0
}

/// SwiftPM links an executable's entry point as `<module>_main`; libFuzzer's own `main` is not
/// linked, its driver is called from here.
@_cdecl("kq_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  let name = getenv("KQ_FUZZ_TARGET").map { String(cString: $0) } ?? ""
  guard let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
    printError("kq-fuzz: set KQ_FUZZ_TARGET to one of: \(names)\n")
    return 64
  }
  selectedTarget = target
  target.prepare()
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
}
#else
@main
enum FuzzReplay {
  static func main() {
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.first == "--make-seeds", let folder = arguments.dropFirst().first {
      Seeds.write(to: folder)
      return
    }
    guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
      let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
      printError("usage: kq-fuzz \(names) FILE|FOLDER...\n       kq-fuzz --make-seeds FOLDER\n")
      exit(64)
    }
    target.prepare()
    var count = 0
    for path in arguments.dropFirst() {
      for file in InputFiles.list(path) {
        guard let bytes = InputFiles.read(file) else {
          printError("kq-fuzz: cannot read \(file)\n")
          exit(66)
        }
        bytes.withUnsafeBytes { target.run($0) }
        count += 1
      }
    }
    print("kq-fuzz \(name): \(count) inputs ran")
  }
}
#endif
