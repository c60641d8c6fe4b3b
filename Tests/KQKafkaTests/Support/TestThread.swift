import Foundation

/// A thread a test starts and joins (a second group member, a fetch that waits).
final class TestThread: @unchecked Sendable {
  private let done = NSCondition()
  private var isDone = false

  init(_ body: @escaping @Sendable () -> Void) throws {
    Thread.detachNewThread { [self] in
      body()
      done.withLock {
        isDone = true
        done.broadcast()
      }
    }
  }

  func join() {
    done.withLock {
      while !isDone { done.wait() }
    }
  }
}

/// A value one thread sets and another reads after joining it.
final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<KafkaClusterFetched, any Error>?

  func set(_ value: Result<KafkaClusterFetched, any Error>) { lock.withLock { result = value } }
  func get() throws -> KafkaClusterFetched {
    guard let result = lock.withLock({ result }) else { throw CancellationError() }
    return try result.get()
  }
}

/// Hands a value that is used by one thread at a time (a `KafkaCluster`) to another thread.
struct Handed<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// A lock for the tests' boxes.
final class NSLockBox: @unchecked Sendable {
  private let lock = NSLock()
  func run<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }
}
