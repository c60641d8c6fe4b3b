// kq-codec-bench FILE [CODEC ...]: KQCompression's ratio and speed on FILE, release builds only
// (Tests/Benchmarks/codecs.sh builds and runs it beside the reference libraries). Each speed
// is the best of repeated runs of at least 0.3 s, in MB/s (10^6 bytes) of uncompressed data.
import Glibc
import KQCompression

func readFile(_ path: String) -> [UInt8]? {
  guard let file = fopen(path, "rb") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let count = fread(&chunk, 1, chunk.count, file)
    if count <= 0 { break }
    bytes += chunk[0..<count]
  }
  return bytes
}

func now() -> Double {
  var time = timespec()
  clock_gettime(CLOCK_MONOTONIC, &time)
  return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The best MB/s of `body` over `bytes` bytes, repeated for at least `seconds`.
func bestSpeed(bytes: Int, seconds: Double = 0.3, _ body: () -> Void) -> Double {
  var best = Double.infinity
  let start = now()
  repeat {
    let before = now()
    body()
    best = min(best, now() - before)
  } while now() - start < seconds
  return Double(bytes) / best / 1e6
}

let arguments = CommandLine.arguments
// kq-codec-bench --pipe-bound OUTPUT [THREADS]: see PipeBound.
if arguments.count >= 3, arguments.count <= 4, arguments[1] == "--pipe-bound" {
  exit(PipeBound.run(output: arguments[2], threads: arguments.count == 4 ? Int(arguments[3]) ?? 0 : 2))
}
// kq-codec-bench --decode CODEC STREAM ORIGINAL: decode a stream another library wrote.
if arguments.count == 5, arguments[1] == "--decode",
  let codec = CompressionCodec.allCases.first(where: { $0.description == arguments[2] }),
  let stream = readFile(arguments[3]), let original = readFile(arguments[4])
{
  var decoded: [UInt8]?
  let speed = bestSpeed(bytes: original.count) {
    decoded = try? codec.decompress(stream, limit: original.count)
  }
  guard decoded == original else {
    print("\(codec): kq does not decode \(arguments[3]) to \(arguments[4])")
    exit(70)
  }
  print("kq      \(codec.description + String(repeating: " ", count: max(0, 7 - codec.description.count))) decodes the library's stream at \(Int(speed)) MB/s")
  exit(0)
}
guard arguments.count >= 2, let input = readFile(arguments[1]) else {
  print("usage: kq-codec-bench FILE [gzip|snappy|lz4|zstd ...] | --decode CODEC STREAM ORIGINAL | --pipe-bound OUTPUT [THREADS]")
  exit(64)
}
let names = arguments.count > 2 ? Array(arguments[2...]) : ["gzip", "snappy", "lz4", "zstd"]
for name in names {
  guard let codec = CompressionCodec.allCases.first(where: { $0.description == name }) else {
    print("unknown codec \(name)")
    exit(64)
  }
  var compressed: [UInt8] = []
  let compressSpeed = bestSpeed(bytes: input.count) { compressed = (try? codec.compress(input)) ?? [] }
  var failure: CompressionError?
  let decompressSpeed = bestSpeed(bytes: input.count) {
    do throws(CompressionError) {
      let output = try codec.decompress(compressed, limit: input.count)
      if output.count != input.count { failure = .outputLimitExceeded(codec, limit: -1) }
    } catch { failure = error }
  }
  if let failure {
    print("\(name): decode failed: \(failure)")
    exit(70)
  }
  let ratio = Double(input.count) / Double(max(compressed.count, 1))
  print(
    "kq      \(name + String(repeating: " ", count: max(0, 7 - name.count))) \(compressed.count) bytes  ratio \(String(format: ratio))  compress \(Int(compressSpeed)) MB/s  decompress \(Int(decompressSpeed)) MB/s"
  )
}

extension String {
  init(format value: Double) {
    let hundredths = Int((value * 100).rounded())
    self = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
  }
}
