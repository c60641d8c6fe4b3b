import Glibc

/// The connection of one group member to its coordinator, shared by the caller's thread
/// (join, sync, commit, leave) and the heartbeat thread: one request at a time, under a lock.
/// A connection that failed is opened again by the next use.
final class CoordinatorChannel: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private var connection: BrokerConnection?
  private var address: BrokerAddress?
  let clientId: String
  let maxResponseBytes: Int
  let versionCaps: [ApiKey: Int16]

  init(clientId: String, maxResponseBytes: Int, versionCaps: [ApiKey: Int16]) {
    self.clientId = clientId
    self.maxResponseBytes = maxResponseBytes
    self.versionCaps = versionCaps
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// Points the channel at a (new) coordinator; the old connection is dropped.
  func setCoordinator(_ address: BrokerAddress?) {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    if address != self.address { connection = nil }
    self.address = address
  }

  var coordinator: BrokerAddress? {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return address
  }

  /// Runs `body` with the connection, holding the channel for the whole request.
  func use<T>(group: String, deadline: Deadline, _ body: (BrokerConnection) throws(KafkaError) -> T) throws(KafkaError) -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    guard let address else { throw .broker(.coordinatorNotAvailable, subject: .group(group), message: nil) }
    if connection?.isUsable != true {
      connection = nil
      do throws(KafkaError) {
        connection = try BrokerConnection.open(
          to: address, clientId: clientId, maxResponseBytes: maxResponseBytes, versionCaps: versionCaps,
          deadline: deadline)
      } catch .closedBeforeHandshake(let address) {
        // The cluster named this coordinator, so it speaks Kafka: closing before answering is
        // a broker restarting (it accepts before it is ready), not a TLS listener.
        throw .closedByBroker(address)
      }
    }
    guard let connection else { throw .broker(.coordinatorNotAvailable, subject: .group(group), message: nil) }
    return try body(connection)
  }

  func close() {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    connection = nil
  }
}
