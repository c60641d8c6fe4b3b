/// The committed files rendered from `CommandTree`. A test checks that the files in the
/// package equal these; `KQ_REGENERATE=1 swift test --filter GeneratedFilesTests` rewrites them.
package enum GeneratedFiles {
  /// Paths are relative to the package root.
  package static func all(version: String) -> [(path: String, contents: String)] {
    [
      ("man/kq.1", ManPage.render(version: version)),
      ("completions/kq.bash", BashCompletion.render()),
      ("completions/_kq", ZshCompletion.render()),
      ("completions/kq.fish", FishCompletion.render()),
    ]
  }
}
