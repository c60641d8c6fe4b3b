import Glibc
import KQLog

/// A command used as a filter (`kq pipe`): the batch goes to its stdin while its stdout is
/// read, in one poll loop so that neither side can block the other, until the command has
/// ended and its stdout has reached end of file (as `$(...)` waits in a shell).
extension ChildProcess {
  /// What `filter` saw. `timedOut`: the deadline passed and the command's process group was
  /// killed.
  struct FilterOutcome {
    var ending: Ending
    var tookEverything: Bool
    var signal: Int32?
    var timedOut: Bool
  }

  /// Feeds `bytes`, appends everything the command writes to `collected` (calling `onOutput`
  /// after each read, which may take what it has used from the front), and waits for it to
  /// end. At `deadlineMillis` (by `clock`) the whole process group is killed. A signal to kq
  /// is passed on to the group (a second one kills it), as `run` does.
  ///
  /// Once the command's stdin is closed (kq holds no copy of it any more), `whenFed` is called
  /// after each read of its output until it returns true: kq may fork then without the fork
  /// holding that stdin open.
  func filter(
    feeding bytes: UnsafeRawBufferPointer, into collected: ByteBuffer, deadlineMillis: Int64?, clock: any WallClock,
    signals: SignalWatcher?, onOutput: (ByteBuffer) -> Void = { _ in }, whenFed: () -> Bool = { true }
  ) -> FilterOutcome {
    release()  // a held command runs now, if it was not started before
    var signal: Int32?
    var isFedReported = false
    var timedOut = false
    var offset = 0
    var isFeeding = true
    var hasEnded = false  // the supervisor reported, or died
    var feeder = self.feeder  // fed since `startFeeding`
    self.feeder = nil
    if feeder != nil {
      isFeeding = false
    } else if bytes.count == 0 {
      close(input)
      input = -1
      isFeeding = false
    } else if bytes.count > Self.feedInlineBytes, let started = InputFeeder.start(writing: bytes, to: input) {
      feeder = started  // it owns the command's stdin now
      input = -1
      isFeeding = false
    }
    while output >= 0 {
      var entries: [pollfd] = [pollfd(fd: output, events: Int16(POLLIN), revents: 0)]
      let feedIndex = isFeeding ? entries.count : -1
      if isFeeding { entries.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
      let reportIndex = hasEnded ? -1 : entries.count
      if !hasEnded { entries.append(pollfd(fd: report, events: Int16(POLLIN), revents: 0)) }
      let signalIndex = signals != nil && signal == nil ? entries.count : -1
      if let signals, signal == nil { entries.append(pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0)) }
      var timeout: Int32 = -1
      if let deadlineMillis, !timedOut {
        let left = max(0, RecordTimestamp.span(from: clock.nowMillis(), to: deadlineMillis))
        timeout = Int32(min(left, Int64(Int32.max)))
      }
      let ready = Glibc.poll(&entries, nfds_t(entries.count), timeout)
      if ready < 0 {
        if errno == EINTR { continue }
        break
      }
      if ready == 0 {
        // The deadline: the command and everything it started are killed; what it wrote is
        // not used.
        timedOut = true
        pass(SIGKILL)
        break
      }
      if signalIndex >= 0, entries[signalIndex].revents != 0, let number = signals?.pending() {
        signal = number
        pass(number)
        break
      }
      if reportIndex >= 0, entries[reportIndex].revents != 0 {
        // The command ended: whatever it did not read is not fed. Its output is read on to
        // its end (processes it started may still hold it).
        hasEnded = true
        if isFeeding { stopFeeding(&isFeeding) }
      }
      if feedIndex >= 0, isFeeding, entries[feedIndex].revents != 0 {
        if entries[feedIndex].revents & Int16(POLLOUT) == 0 {
          stopFeeding(&isFeeding)  // POLLERR: nobody reads its stdin
        } else if let base = bytes.baseAddress {
          let n = write(input, base + offset, bytes.count - offset)
          if n > 0 {
            offset += n
            if offset == bytes.count { stopFeeding(&isFeeding) }
          } else if n < 0 && errno != EINTR && errno != EAGAIN {
            stopFeeding(&isFeeding)  // EPIPE
          }
        }
      }
      if entries[0].revents != 0 {
        collected.reserve(1 << 16)
        let room = min(collected.capacity - collected.count, Self.outputReadBytes)
        let n = read(output, collected.base + collected.count, room)
        if n > 0 {
          collected.count += n
          onOutput(collected)  // its work overlaps the command's on the next bytes
          if !isFedReported && !isFeeding && (feeder?.isDone ?? true) { isFedReported = whenFed() }
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
          close(output)
          output = -1
        }
      }
    }
    if isFeeding { stopFeeding(&isFeeding) }
    if output >= 0 {
      close(output)
      output = -1
    }
    if let feeder {
      // The command ended, or is being killed: a feeder still writing stops.
      if hasEnded || timedOut || signal != nil { feeder.stop() }
    }
    let ending = waitForEnding(signals: signals, signal: &signal)
    if let feeder {
      feeder.stop()
      offset = feeder.join()
    }
    return FilterOutcome(ending: ending, tookEverything: offset == bytes.count, signal: signal, timedOut: timedOut)
  }

  /// Starts writing `bytes` to the command's stdin on a thread before `filter` is called with
  /// the same bytes, which must stay valid until it returns (`kq pipe` starts the next batch's
  /// command while it appends the output of the last one). Does nothing when no thread can be
  /// made: `filter` feeds them itself.
  func startFeeding(_ bytes: UnsafeRawBufferPointer) {
    guard feeder == nil, input >= 0, bytes.count > 0, let started = InputFeeder.start(writing: bytes, to: input) else { return }
    feeder = started  // it owns the command's stdin now
    input = -1
  }

  /// Kills a command started but not used (`filter` never called), and waits for it to end.
  func abandon() {
    pass(SIGKILL)
    if start >= 0 {
      close(start)
      start = -1
    }
    if let feeder {
      feeder.stop()
      _ = feeder.join()
      self.feeder = nil
    }
    if input >= 0 {
      close(input)
      input = -1
    }
    if output >= 0 {
      close(output)
      output = -1
    }
    var unused: Int32?
    _ = waitForEnding(signals: nil, signal: &unused)
  }

  /// The most one read of the command's output takes: its records are parsed and encoded
  /// while they are still in the CPU's cache (a 1 MiB pipe read at once is not).
  static let outputReadBytes = 1 << 17

  /// Inputs up to this size are written by the poll loop itself: the pipe (1 MiB) takes them
  /// at once, and a thread would cost more than it saves.
  static let feedInlineBytes = 1 << 20

  private func stopFeeding(_ isFeeding: inout Bool) {
    close(input)
    input = -1
    isFeeding = false
  }
}
