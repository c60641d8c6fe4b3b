import KQBackends
import KQCommands
import KQLog
import KQStorage

extension Context {
  /// A context whose commands open data directories through `fileSystem` (a `FaultPlan`'s
  /// injects faults), as the `kq` process does through the real one.
  package init(
    environment: [String: String], stdin: any ByteSource, stdout: any ByteSink, stderr: any ByteSink,
    clock: any WallClock = SystemClock(), signals: SignalWatcher? = nil, fileSystem: FileSystem = FileSystem()
  ) {
    self.init(
      environment: environment, stdin: stdin, stdout: stdout, stderr: stderr, clock: clock, signals: signals,
      services: BackendOpener(fileSystem: fileSystem))
  }
}
