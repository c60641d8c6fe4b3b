import Glibc
import KQBackends
import KQCommands

@main
struct Entry {
  static func main() {
    let context = Context.process(services: BackendOpener())
    // Ctrl-C and SIGTERM also end the cluster client's retries and connection attempts.
    if let signals = context.signals { BackendOpener.stopsClusterWaits(when: signals.fd) }
    exit(KQ.run(arguments: CommandLine.arguments, context: context).rawValue)
  }
}
