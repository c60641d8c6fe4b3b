import Foundation
import KQStorage
import KQLog

/// Faults a test arms for a `FileSystem`: each fires once, at the first call of its operation
/// on a path ending with its suffix. `fileSystem` is the instance to hand to the code under test.
package final class FaultPlan: Sendable {
  /// The armed and fired faults, shared with the injector closure (which must not keep the
  /// plan itself alive: the plan holds the file system that holds the closure).
  private final class State: @unchecked Sendable {
    let lock = NSLock()
    var armed: [(operation: FileSystem.FileOperation, suffix: String, fault: FileSystem.Fault)] = []
    var fired: [String] = []

    func take(_ operation: FileSystem.FileOperation, _ path: String) -> FileSystem.Fault? {
      lock.withLock {
        guard let index = armed.firstIndex(where: { $0.operation == operation && path.hasSuffix($0.suffix) }) else {
          return nil
        }
        fired.append("\(operation.rawValue) \(path)")
        return armed.remove(at: index).fault
      }
    }
  }

  private let state = State()
  package let fileSystem: FileSystem

  package init() {
    let state = self.state
    fileSystem = FileSystem(injecting: { operation, path in state.take(operation, path) })
  }

  package func arm(_ operation: FileSystem.FileOperation, pathSuffix: String, _ fault: FileSystem.Fault) {
    state.lock.withLock { state.armed.append((operation, pathSuffix, fault)) }
  }

  /// Faults that fired, as "operation path".
  package var fired: [String] { state.lock.withLock { state.fired } }
}
