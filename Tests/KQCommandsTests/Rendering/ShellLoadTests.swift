import KQTestSupport
import Testing

/// Each committed completion file loads in its shell, and the man page renders without
/// warnings (issue 3: "each completion file loads in its shell").
@Suite("Completion files load and the man page renders")
struct ShellLoadTests {
  @Test("bash sources kq.bash and registers _kq for kq, which completes 'kq con'",
        .enabled(if: Shell.isInstalled("/bin/bash")))
  func bash() throws {
    let script = """
      source completions/kq.bash && complete -p kq
      COMP_WORDS=(kq con); COMP_CWORD=1; _kq; echo "${COMPREPLY[*]}"
      COMP_WORDS=(kq produce t --sync ''); COMP_CWORD=4; _kq; echo "${COMPREPLY[*]}"
      """
    let result = try Shell.run("/bin/bash", ["--norc", "-c", script])
    #expect(result.status == 0 && result.stderr.isEmpty, "\(result.summary)")
    #expect(result.stdout == "complete -F _kq kq\nconsume\nexit batch none\n", "\(result.summary)")
  }

  @Test("zsh parses _kq, autoloads it from fpath and registers it for kq",
        .enabled(if: TestPeer.zsh.shouldRun))
  func zsh() throws {
    let zsh = try TestPeer.zsh.require()
    let syntax = try Shell.run(zsh, ["-n", "completions/_kq"])
    #expect(syntax.status == 0 && syntax.stderr.isEmpty, "\(syntax.summary)")
    let script = """
      fpath=($PWD/completions $fpath); autoload -U compinit; compinit -u -D
      print -r -- $_comps[kq]; whence -w _kq
      source completions/_kq; whence -w _kq_consume _kq_branch_topic
      """
    let result = try Shell.run(zsh, ["-f", "-c", script])
    #expect(result.status == 0 && result.stderr.isEmpty, "\(result.summary)")
    #expect(result.stdout == "_kq\n_kq: function\n_kq_consume: function\n_kq_branch_topic: function\n", "\(result.summary)")
  }

  @Test("fish sources kq.fish and completes 'kq con' to consume",
        .enabled(if: TestPeer.fish.shouldRun))
  func fish() throws {
    let fish = try TestPeer.fish.require()
    let result = try Shell.run(fish, ["--no-config", "-c", "source completions/kq.fish; complete -C 'kq con'; complete -C 'kq produce t --sync '"])
    #expect(result.status == 0 && result.stderr.isEmpty, "\(result.summary)")
    #expect(result.stdout.hasPrefix("consume\t"), "\(result.summary)")
    #expect(result.stdout.contains("\nbatch\t") && result.stdout.contains("\nnone\t"), "\(result.summary)")
  }

  @Test("man -l renders man/kq.1 without warnings", .enabled(if: TestPeer.man.shouldRun))
  func manPage() throws {
    let result = try Shell.run(try TestPeer.man.require(), ["--warnings", "-l", "man/kq.1"], environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"])
    #expect(result.status == 0 && result.stderr.isEmpty, "\(result.summary)")
    #expect(result.stdout.contains("EXIT STATUS") && result.stdout.contains("kq group reset"), "\(result.summary)")
  }
}
