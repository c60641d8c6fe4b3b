import KQLog

/// How a command's stdout may fail, and what the exit status then says. The status tells
/// what happened to the command's work:
/// - where the output is the work (records, lists, tables, help, --version, offsets printed
///   by --print-offsets, a dry run's plan), a failed write is an error, exit 74, and a
///   command that would write into a stdout closed at start refuses before it acts;
/// - where the work is a change and the output only confirms it ('created topic t'), the
///   change stands: a failed confirmation is a warning on stderr and the status stays 0.
/// A reader that has gone (EPIPE, `kq consume t | head -1`) ends kq quietly with 0 either way.
extension Context {
  /// Writes output that is the command's work.
  package func writeOutput(_ text: String) throws {
    do throws(Errno) { try stdout.write(Array(text.utf8)) } catch {
      throw Self.outputFailure(error)
    }
  }

  /// Writes the confirmation of a change that has been made; a failure only warns.
  package func writeConfirmation(_ text: String) {
    do throws(Errno) { try stdout.write(Array(text.utf8)) } catch {
      if error == .brokenPipe { return }
      let what = error == .badFileDescriptor ? "standard output is closed" : "cannot write standard output: \(error)"
      stderr.write("kq: warning: \(what); the change itself was made\n")
    }
  }

  /// Refuses, before a command acts, to write its work into a stdout closed at start.
  package func requireStandardOutput() throws {
    if stdout is ClosedSink { throw CommandError.standardOutputClosed }
  }

  /// The error for a failed write to stdout: quiet success when the reader has gone.
  static func outputFailure(_ error: Errno) -> any Error {
    switch error {
    case .brokenPipe: ExitStatus.success
    case .badFileDescriptor: CommandError.standardOutputClosed
    default: StorageError.io(error, operation: "write", path: "standard output")
    }
  }
}
