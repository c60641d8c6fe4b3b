/// `completions/_kq`, rendered from `CommandTree`: a `#compdef kq` file for `$fpath` that
/// also works when sourced after `compinit`.
package enum ZshCompletion {
  package static func render() -> String {
    var out = [
      "#compdef kq",
      "# zsh completion for kq. Generated from CommandTree by GeneratedFiles; do not edit by hand.",
      "# Install: put this file in a directory of $fpath before compinit runs.",
      "",
      "# Completes names of the kind in the last argument (topic or group; _arguments may put",
      "# options before it), reading the data directory --dir names.",
      "_kq_names() {",
      "  local kind=$argv[-1]",
      "  local -a names expl",
      "  names=(${(f)\"$(_call_program ${kind}s kq \"${_kq_dir[@]}\" $kind list 2>/dev/null)\"})",
      "  _wanted ${kind}s expl $kind compadd -a names",
      "}",
      "",
    ]
    for path in CompletionModel.branches { out += branch(path) }
    for command in CommandTree.commands { out += leaf(command) }
    out += [
      "_kq() {",
      "  local -a _kq_dir",
      "  local -i i",
      "  for (( i = 2; i < CURRENT; i++ )); do",
      "    case $words[i] in",
      "      --dir) _kq_dir=(--dir \"${(Q)words[i+1]}\") ;;",
      "      --dir=*) _kq_dir=(--dir \"${(Q)words[i]#--dir=}\") ;;",
      "    esac",
      "  done",
      "  _kq_branch_",
      "}",
      "",
      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
      "  _kq \"$@\"",
      "else",
      "  compdef _kq kq",
      "fi",
    ]
    return out.joined(separator: "\n") + "\n"
  }

  static func functionName(_ path: [String]) -> String {
    "_kq_" + path.joined(separator: "_").replacingHyphens
  }

  /// Completes a command word after `path`, then hands the rest to that command.
  static func branch(_ path: [String]) -> [String] {
    let name = path.isEmpty ? "_kq_branch_" : "_kq_branch_" + path.joined(separator: "_")
    var out = [
      "\(name)() {",
      "  local curcontext=\"$curcontext\" state state_descr line",
      "  local -i ret=1",
      "  typeset -A opt_args",
      "  _arguments -C \\",
    ]
    out += globalSpecs.map { "    \($0) \\" }
    out += [
      "    ': :->command' '*:: :->argument' && ret=0",
      "  case $state in",
      "    command)",
      "      local -a commands",
      "      commands=(",
    ]
    for word in CommandTree.subcommands(of: path) {
      out.append("        " + quote(word + ":" + CommandTree.summary(of: path + [word]).replacingColons))
    }
    out += ["      )", "      _describe -t commands 'kq command' commands && ret=0", "      ;;", "    argument)",
            "      case $words[1] in"]
    for word in CommandTree.subcommands(of: path) {
      let next = path + [word]
      let target = CommandTree.isGroup(next) ? "_kq_branch_" + next.joined(separator: "_") : functionName(next)
      out.append("        \(word)) \(target) && ret=0 ;;")
    }
    out += ["        *) _message 'unknown command' ;;", "      esac", "      ;;", "  esac", "  return ret", "}", ""]
    return out
  }

  static func leaf(_ command: CommandSpec) -> [String] {
    var specs = command.flags.map(spec) + globalSpecs
    for argument in command.arguments {
      let prefix = argument.isVariadic ? "*:" : argument.isOptional ? "::" : ":"
      specs.append(quote(prefix + argument.name + ":" + action(argument.completion)))
    }
    var out = ["\(functionName(command.path))() {", "  _arguments -s -S \\"]
    out += specs.dropLast().map { "    \($0) \\" }
    out += specs.suffix(1).map { "    \($0)" }
    out += ["}", ""]
    return out
  }

  static var globalSpecs: [String] {
    CommandTree.globalFlags.map { flag in
      flag.takesValue ? spec(flag) : "'(- *)'" + names(flag) + quote("[" + description(flag.help) + "]")
    }
  }

  /// `'(-p --partition)'{-p+,--partition=}'[Read only these partitions]:N[,N...]: '`
  static func spec(_ flag: FlagSpec) -> String {
    var text = ""
    if flag.isRepeatable {
      text = "'*'"
    } else if let short = flag.shortForm {
      text = quote("(\(short) \(flag.longForm))")
    }
    text += names(flag)
    var body = "[" + description(flag.help) + "]"
    if let valueName = flag.valueName {
      body += ":" + valueName.replacingColons + ":" + action(flag.completion)
    }
    return text + quote(body)
  }

  /// `{-p+,--partition=}` or `--partitions=`; `+` and `=` let the value follow in the same word.
  static func names(_ flag: FlagSpec) -> String {
    let long = flag.longForm + (flag.takesValue ? "=" : "")
    guard let short = flag.shortForm else { return long }
    return "{" + short + (flag.takesValue ? "+" : "") + "," + long + "}"
  }

  static func action(_ completion: Completion) -> String {
    switch completion {
    case .none: " "
    case .choices(let words): "(" + words.joined(separator: " ") + ")"
    case .topic: "_kq_names topic"
    case .group: "_kq_names group"
    case .file: "_files"
    case .directory: "_files -/"
    }
  }

  /// The first sentence, with the characters `_arguments` gives meaning escaped.
  static func description(_ help: String) -> String {
    var out = ""
    for character in CompletionModel.brief(help) {
      if character == "[" || character == "]" || character == ":" || character == "\\" { out += "\\" }
      out.append(character)
    }
    return out
  }

  /// Single-quoted for zsh.
  static func quote(_ text: String) -> String {
    "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
  }
}

extension String {
  fileprivate var replacingHyphens: String { String(map { $0 == "-" ? "_" : $0 }) }
  fileprivate var replacingColons: String { String(map { $0 == ":" ? ";" : $0 }) }
}
