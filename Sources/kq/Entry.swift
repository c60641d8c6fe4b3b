import Glibc
import KQBackends
import KQCommands

@main
struct Entry {
  static func main() {
    exit(KQ.run(arguments: CommandLine.arguments, context: .process(services: BackendOpener())).rawValue)
  }
}
