import Glibc
import KQCommands

@main
struct Entry {
  static func main() {
    exit(KQ.run(arguments: CommandLine.arguments, context: .process()).rawValue)
  }
}
