import Glibc
import KQCompression

/// `kq-codec-bench --pipe-bound OUTPUT [THREADS]`: the least work an lz4 producer from a pipe
/// does, as a bound for row 1e. Stdin (its pipe enlarged to 1 MiB, as kq enlarges it) is cut
/// into 256 KiB stretches; each of THREADS threads (default 2) in turn reads a stretch, compresses
/// it into an LZ4 frame (kq's encoder, Kafka's 64 KiB independent blocks) and writes the frame
/// to OUTPUT in input order. No records, no CRC, no lock, no fsync: whatever kq does more costs
/// more than this.
enum PipeBound {
  static let stretchBytes = 1 << 18

  /// Whose turn it is to read and to write, by stretch number, under one mutex.
  final class Turns: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private(set) var reading = 0
    private(set) var writing = 0
    /// The first stretch number past the input's end.
    private(set) var end = Int.max

    init() {
      pthread_mutex_init(&mutex, nil)
      pthread_cond_init(&condition, nil)
    }

    func wait(until ready: (Turns) -> Bool) {
      pthread_mutex_lock(&mutex)
      while !ready(self) { pthread_cond_wait(&condition, &mutex) }
      pthread_mutex_unlock(&mutex)
    }

    func readDone(_ stretch: Int, atEnd: Bool) {
      change {
        $0.reading = stretch + 1
        if atEnd { $0.end = min($0.end, stretch) }
      }
    }

    func writeDone(_ stretch: Int) { change { $0.writing = stretch + 1 } }

    private func change(_ body: (Turns) -> Void) {
      pthread_mutex_lock(&mutex)
      body(self)
      pthread_cond_broadcast(&condition)
      pthread_mutex_unlock(&mutex)
    }
  }

  struct Worker {
    let first: Int
    let step: Int
    let output: Int32
    let turns: Turns

    /// Stretches `first`, `first + step`, ... until the input ends.
    func run() {
      let input = UnsafeMutableRawPointer.allocate(byteCount: PipeBound.stretchBytes, alignment: 64)
      let frame = UnsafeMutablePointer<UInt8>.allocate(capacity: CompressionCodec.encodingCapacity(PipeBound.stretchBytes))
      defer {
        input.deallocate()
        frame.deallocate()
      }
      var stretch = first
      while true {
        turns.wait { $0.reading == stretch || $0.end <= stretch }
        if turns.end <= stretch { return }
        var count = 0
        while count < PipeBound.stretchBytes {
          let got = read(0, input + count, PipeBound.stretchBytes - count)
          if got <= 0 { break }
          count += got
        }
        turns.readDone(stretch, atEnd: count == 0)
        if count == 0 { return }
        let source = UnsafeRawBufferPointer(start: input, count: count)
        let written = ((try? CompressionCodec.lz4.compress(source, into: frame)) ?? nil) ?? 0
        turns.wait { $0.writing == stretch }
        _ = write(output, frame, written)
        turns.writeDone(stretch)
        stretch += step
      }
    }
  }

  static func run(output path: String, threads: Int) -> Int32 {
    let output = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard output >= 0, threads >= 1 else {
      print("kq-codec-bench: cannot open \(path) for writing, or THREADS is below 1")
      return 64
    }
    defer { close(output) }
    _ = fcntl(0, 1031, Int32(1 << 20))  // F_SETPIPE_SZ, which Glibc's module leaves out
    let turns = Turns()
    var others: [pthread_t] = []
    for first in 1..<threads {
      let worker = Unmanaged.passRetained(Box(Worker(first: first, step: threads, output: output, turns: turns)))
      var thread = pthread_t()
      let started = pthread_create(&thread, nil, { context in
        guard let context else { return nil }
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().worker.run()
        return nil
      }, worker.toOpaque())
      guard started == 0 else {
        worker.release()
        print("kq-codec-bench: cannot start a thread")
        exit(71)
      }
      others.append(thread)
    }
    Worker(first: 0, step: threads, output: output, turns: turns).run()
    for thread in others { pthread_join(thread, nil) }
    return 0
  }

  final class Box {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
  }
}
