import Glibc
import KQCompression

/// Compresses the records sections of sealed batches on one helper thread while the producer
/// goes on reading and encoding, for every encoder of the producer (one thread however many
/// partitions it writes). `submit` queues a section and returns its ticket; `settle(through:)`
/// returns once every section up to a ticket is compressed, compressing the ones the thread
/// has not started itself (so a thread that gets no CPU, or none at all, costs nothing but a
/// lock) and leaving later ones to the thread, and `takeResult` then hands out each ticket's
/// encoding once.
///
/// A submitted section must stay where it is and unchanged until a `settle` through its ticket
/// returns: the encoder settles before its buffer grows (and moves), before it moves batches
/// together and before it goes away. The thread starts at the first `submit`, so a producer that never fills a batch
/// (a line now and then) never starts it.
package final class BatchCompressor {
  private let queue = CompressionQueue()
  private var thread: BackgroundWork?
  private var threadFailed = false

  package init() {}

  /// Queues the `count` bytes at `source` for compression with `codec`; returns the ticket
  /// that `takeResult` takes after `settle`.
  package func submit(_ source: UnsafeRawPointer, count: Int, codec: CompressionCodec) -> Int {
    if thread == nil && !threadFailed {
      let queue = self.queue
      thread = BackgroundWork.start { queue.serve() }
      threadFailed = thread == nil
    }
    return queue.submit(CompressionQueue.Task(source: source, count: count, codec: codec))
  }

  /// Returns once every section submitted up to `ticket` (included) is compressed.
  package func settle(through ticket: Int) { queue.settle(through: ticket) }

  /// Hands `body` the encoding of `ticket`'s section, once, only after a `settle` through it:
  /// nil when the
  /// codec did not make it smaller (or zlib found no memory), and the section is stored as it is.
  package func takeResult<R>(_ ticket: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    queue.takeResult(ticket, body)
  }

  deinit {
    queue.stop()
    thread?.wait()
  }
}

/// What a `BatchCompressor` and its thread share, under `monitor`. A ticket is a task's place in
/// the order of `submit`; `slots` holds the tasks from ticket `firstTicket` on, and sheds the
/// ones whose results were taken once they are many (a producer that defers each flush's
/// writes never empties the queue: the next flush's batches are in it). Encodings are written
/// into buffers kept for reuse (`spareBuffers`), as many as were ever waiting at once: no
/// allocation per batch once the first flushes have made them.
final class CompressionQueue: @unchecked Sendable {
  struct Task {
    var source: UnsafeRawPointer
    var count: Int
    var codec: CompressionCodec
  }

  /// A task's encoding: its bytes at the start of `buffer`, or nil when the codec did not
  /// shrink the section (or zlib found no memory).
  struct Encoding {
    var buffer: ByteBuffer
    var count: Int?
  }

  struct Slot {
    var task: Task
    var encoding: Encoding?
    var isDone = false
    var isTaken = false
  }

  /// Broadcast when a task is queued or at the end (for the thread), and when the thread
  /// finishes a task (for `settle`).
  private let monitor = Monitor()
  private var slots: [Slot] = []
  private var firstTicket = 0
  private var spareBuffers: [ByteBuffer] = []
  /// The slot of the first task nobody has started.
  private var nextTask = 0
  /// The ticket of the task the thread is compressing, if any.
  private var threadTicket: Int?
  /// Slots at the start of `slots` whose results were taken.
  private var takenPrefix = 0
  private var isStopping = false

  func submit(_ task: Task) -> Int {
    monitor.lock()
    let ticket = firstTicket + slots.count
    slots.append(Slot(task: task))
    monitor.broadcast()
    monitor.unlock()
    return ticket
  }

  /// Returns once every task up to `ticket` is compressed: compresses those nobody has
  /// started, then waits for the one the thread may be on. Later tasks are left to the thread.
  func settle(through ticket: Int) {
    monitor.lock()
    while nextTask < slots.count && firstTicket + nextTask <= ticket {
      runNextTask()
    }
    while let running = threadTicket, running <= ticket { monitor.wait() }
    monitor.unlock()
  }

  /// Hands `body` the encoding of `ticket`'s section (nil when it is not smaller), then keeps
  /// its buffer for the next task.
  func takeResult<R>(_ ticket: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    monitor.lock()
    let index = ticket - firstTicket
    let isKnown = index >= 0 && index < slots.count && slots[index].isDone && !slots[index].isTaken
    let encoding = isKnown ? slots[index].encoding : nil
    if isKnown {
      slots[index].encoding = nil
      slots[index].isTaken = true
    }
    monitor.unlock()
    let result = body(encoding?.count.map { UnsafeRawBufferPointer(start: encoding?.buffer.base, count: $0) })
    monitor.lock()
    if let encoding { spareBuffers.append(encoding.buffer) }
    shedTakenSlots()
    monitor.unlock()
    return result
  }

  /// Drops the taken slots at the start of `slots` once they are as many as the rest (and at
  /// least 64), so that the array stays about two flushes long.
  private func shedTakenSlots() {
    while takenPrefix < slots.count && slots[takenPrefix].isTaken { takenPrefix += 1 }
    if takenPrefix == slots.count || (takenPrefix >= 64 && takenPrefix * 2 >= slots.count) {
      slots.removeFirst(takenPrefix)
      firstTicket += takenPrefix
      nextTask -= takenPrefix
      takenPrefix = 0
    }
  }

  /// The thread's loop: takes the first task nobody has started, until `stop`.
  func serve() {
    monitor.lock()
    while true {
      while !isStopping && nextTask >= slots.count { monitor.wait() }
      if isStopping { break }
      threadTicket = firstTicket + nextTask
      runNextTask()
      threadTicket = nil
      monitor.broadcast()
    }
    monitor.unlock()
  }

  func stop() {
    monitor.lock()
    isStopping = true
    monitor.broadcast()
    monitor.unlock()
  }

  /// Compresses the first task nobody has started, with `monitor` held on entry and on return
  /// (not while compressing: meanwhile taken slots before it may be shed, so it finds its slot
  /// again by ticket).
  private func runNextTask() {
    let ticket = firstTicket + nextTask
    nextTask += 1
    let task = slots[ticket - firstTicket].task
    let buffer = spareBuffers.popLast() ?? ByteBuffer(capacity: 0)
    monitor.unlock()
    buffer.count = 0
    buffer.reserve(CompressionCodec.encodingCapacity(task.count))
    let input = UnsafeRawBufferPointer(start: task.source, count: task.count)
    let written = (try? task.codec.compress(input, into: buffer.base)) ?? nil
    monitor.lock()
    slots[ticket - firstTicket].encoding = Encoding(buffer: buffer, count: written)
    slots[ticket - firstTicket].isDone = true
  }
}
