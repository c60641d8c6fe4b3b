/// `completions/kq.fish`, rendered from `CommandTree`.
package enum FishCompletion {
  package static func render() -> String {
    var out = [
      "# fish completion for kq. Generated from CommandTree by GeneratedFiles; do not edit by hand.",
      "# Install: copy to ~/.config/fish/completions/kq.fish.",
      "",
      "# Prints --dir and its value when the command line has one.",
      "function __kq_dir_args",
      "    set -l tokens (commandline -opc)",
      "    for i in (seq (count $tokens))",
      "        switch $tokens[$i]",
      "            case --dir",
      "                set -l next (math $i + 1)",
      "                test $next -le (count $tokens); and printf '%s\\n' --dir $tokens[$next]",
      "            case '--dir=*'",
      "                printf '%s\\n' --dir (string replace -- --dir= '' $tokens[$i])",
      "        end",
      "    end",
      "end",
      "",
      "# Prints the names of kind $argv[1] (topic or group).",
      "function __kq_names",
      "    command kq (__kq_dir_args) $argv[1] list 2>/dev/null",
      "end",
      "",
      "# Succeeds when the words in $argv[1] name a command or a group of commands.",
      "function __kq_node",
      "    switch $argv[1]",
      "        case " + CompletionModel.nodes.map { "'\($0)'" }.joined(separator: " "),
      "            return 0",
      "    end",
      "    return 1",
      "end",
      "",
      "# Prints the options of the command $argv[1] that take a value.",
      "function __kq_value_flags",
      "    switch $argv[1]",
    ]
    for command in CommandTree.commands where command.flags.contains(where: \.takesValue) {
      out += ["        case '\(command.name)'",
              "            printf '%s\\n' " + CompletionModel.valueSpellings(command.flags).joined(separator: " ")]
    }
    out += ["    end", "    printf '%s\\n' " + CompletionModel.valueSpellings(CommandTree.globalFlags).joined(separator: " "), "end", ""]
    out += [
      "# Prints the command words on the line so far, such as 'topic create'.",
      "function __kq_path",
      "    set -l tokens (commandline -opc)",
      "    set -e tokens[1]",
      "    set -l path ''",
      "    set -l skip 0",
      "    for token in $tokens",
      "        if test $skip = 1",
      "            set skip 0",
      "        else if string match -q -- '-*' $token",
      "            contains -- $token (__kq_value_flags $path); and set skip 1",
      "        else if __kq_node (string trim -- \"$path $token\")",
      "            set path (string trim -- \"$path $token\")",
      "        else",
      "            break",
      "        end",
      "    end",
      "    echo $path",
      "end",
      "",
      "# Succeeds when the command words on the line are exactly $argv[1].",
      "function __kq_at",
      "    set -l path (__kq_path)",
      "    test \"$path\" = \"$argv[1]\"",
      "end",
      "",
      "complete -c kq -f",
    ]
    for flag in CommandTree.globalFlags { out.append(line(flag, condition: nil)) }
    for path in CompletionModel.branches {
      for word in CommandTree.subcommands(of: path) {
        out.append("complete -c kq -n " + quote("__kq_at " + quote(path.joined(separator: " "))) + " -a " + word
                   + " -d " + quote(CommandTree.summary(of: path + [word])))
      }
    }
    for command in CommandTree.commands {
      let condition = "__kq_at " + quote(command.name)
      for argument in command.arguments where argument.completion != .none {
        out.append("complete -c kq -n " + quote(condition) + " " + positional(argument.completion) + " -d " + quote(argument.name))
      }
      for flag in command.flags { out.append(line(flag, condition: condition)) }
    }
    return out.joined(separator: "\n") + "\n"
  }

  static func line(_ flag: FlagSpec, condition: String?) -> String {
    var text = "complete -c kq"
    if let condition { text += " -n " + quote(condition) }
    if let short = flag.short { text += " -s " + String(short) }
    text += " -l " + flag.long
    if flag.takesValue {
      text += flag.completion == .none ? " -x" : " " + values(flag.completion)
    }
    return text + " -d " + quote(CompletionModel.brief(flag.help))
  }

  /// `-x -a '...'`: what fish offers for a value (`-x`: no file names unless asked for).
  static func values(_ completion: Completion) -> String {
    switch completion {
    case .none: "-x"
    case .choices(let words): "-x -a " + quote(words.joined(separator: " "))
    case .topic: "-x -a '(__kq_names topic)'"
    case .group: "-x -a '(__kq_names group)'"
    case .file: "-r -F"
    case .directory: "-x -a '(__fish_complete_directories (commandline -ct))'"
    }
  }

  /// What fish offers for a positional argument.
  static func positional(_ completion: Completion) -> String {
    switch completion {
    case .none: ""
    case .choices(let words): "-a " + quote(words.joined(separator: " "))
    case .topic: "-a '(__kq_names topic)'"
    case .group: "-a '(__kq_names group)'"
    case .file: "-F"
    case .directory: "-a '(__fish_complete_directories (commandline -ct))'"
    }
  }

  /// Single-quoted for fish: backslashes and quotes escaped.
  static func quote(_ text: String) -> String {
    var out = "'"
    for character in text {
      if character == "\\" || character == "'" { out += "\\" }
      out.append(character)
    }
    return out + "'"
  }
}
