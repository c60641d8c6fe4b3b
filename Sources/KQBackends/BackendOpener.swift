import KQKafka
import KQLog
import KQStorage

/// The `LogServiceOpener` of the `kq` process: every location to the backend that serves it.
package struct BackendOpener: LogServiceOpener {
  let local: LocalLogServiceOpener

  package init(fileSystem: FileSystem = FileSystem()) { local = LocalLogServiceOpener(fileSystem: fileSystem) }

  /// Makes the cluster client stop retrying and connecting while `descriptor` is readable
  /// (the process's signal pipe: see `Cancellation`). Call once, before any service opens.
  package static func stopsClusterWaits(when descriptor: CInt) { Cancellation.descriptor = descriptor }

  package func brokerListProblem(_ brokers: String) -> String? {
    do {
      _ = try BrokerAddress.list(parsing: brokers)
      return nil
    } catch .invalidAddress(let item, let reason) {
      return item == brokers ? reason : "'\(item)': \(reason)"
    } catch {
      return error.description
    }
  }

  package func open(_ location: LogLocation, create: Bool, clock: any WallClock) throws -> any LogService {
    switch location {
    case .directory: try local.open(location, create: create, clock: clock)
    case .cluster(let brokers, let timeoutMillis): try KafkaLogService(brokers: brokers, timeoutMillis: timeoutMillis)
    }
  }
}
