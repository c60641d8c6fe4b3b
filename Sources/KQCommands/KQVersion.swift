/// kq's version, printed by `kq --version` and written into the man page's title line.
package enum KQVersion {
  package static let current = "0.1.0"
}
