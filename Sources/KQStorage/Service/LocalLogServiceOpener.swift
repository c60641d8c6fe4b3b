import KQLog

/// Opens data directories through `fileSystem` (tests hand in one that injects faults).
package struct LocalLogServiceOpener: LogServiceOpener {
  package let fileSystem: FileSystem

  package init(fileSystem: FileSystem = FileSystem()) { self.fileSystem = fileSystem }

  package func open(_ location: LogLocation, create: Bool, clock: any WallClock) throws -> any LogService {
    switch location {
    case .directory(let path):
      LocalLogService(directory: try DataDirectory.open(at: path, create: create, fileSystem: fileSystem, clock: clock))
    case .cluster(let brokers, _):
      throw StorageError.unsupportedOperation("this build's local engine", location: brokers)
    }
  }
}
