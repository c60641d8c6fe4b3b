/// `completions/kq.bash`, rendered from `CommandTree`. Needs no bash-completion package.
package enum BashCompletion {
  package static func render() -> String {
    var out = [
      "# bash completion for kq. Generated from CommandTree by GeneratedFiles; do not edit by hand.",
      "# Install: source this file, or copy it to /usr/share/bash-completion/completions/kq.",
      "",
      "# Succeeds when the words in $1 name a command or a group of commands.",
      "_kq_node() {",
      "  case \"$1\" in",
      "    " + CompletionModel.nodes.map { "\"\($0)\"" }.joined(separator: "|") + ") return 0 ;;",
      "  esac",
      "  return 1",
      "}",
      "",
      "# Prints the command words that may follow the path $1.",
      "_kq_subcommands() {",
      "  case \"$1\" in",
    ]
    for path in CompletionModel.branches {
      out.append("    \(CompletionModel.quotedPath(path))) echo \"\(CommandTree.subcommands(of: path).joined(separator: " "))\" ;;")
    }
    out += ["  esac", "}", "", "# Prints the options of the command $1, global ones included.", "_kq_flags() {", "  case \"$1\" in"]
    for command in CommandTree.commands {
      let words = command.flags.flatMap(CompletionModel.spellings)
      out.append("    \(CompletionModel.quotedPath(command.path))) echo \"\(words.joined(separator: " "))\" ;;")
    }
    let globals = CommandTree.globalFlags.flatMap(CompletionModel.spellings).joined(separator: " ")
    out += ["  esac", "  echo \"\(globals)\"", "}", "", "# Succeeds when option $2 of the command $1 takes a value.",
            "_kq_takes_value() {", "  case \"$1:$2\" in"]
    for command in CommandTree.commands where command.flags.contains(where: \.takesValue) {
      let patterns = CompletionModel.valueSpellings(command.flags).map { "\"\(command.name):\($0)\"" }
      out.append("    " + patterns.joined(separator: "|") + ") return 0 ;;")
    }
    let globalValues = CompletionModel.valueSpellings(CommandTree.globalFlags).map { "*:\($0)" }
    out += ["    " + globalValues.joined(separator: "|") + ") return 0 ;;", "  esac", "  return 1", "}", ""]
    out += [
      "# Completes names of kind $1 (topic or group), reading the data directory --dir names.",
      "_kq_names() {",
      "  local IFS=$'\\n'",
      "  COMPREPLY=($(compgen -W \"$(command kq \"${kq_dir[@]}\" \"$1\" list 2>/dev/null)\" -- \"$2\"))",
      "}",
      "",
      "# Completes the value $3 of option $2 of the command $1.",
      "_kq_value() {",
      "  case \"$1:$2\" in",
    ]
    for command in CommandTree.commands {
      for flag in command.flags where flag.completion != .none {
        let patterns = CompletionModel.spellings(flag).map { "\"\(command.name):\($0)\"" }
        out.append("    " + patterns.joined(separator: "|") + ") " + action(flag.completion, current: "$3") + " ;;")
      }
    }
    for flag in CommandTree.globalFlags where flag.takesValue {
      out.append("    *:\(flag.longForm)) " + action(flag.completion, current: "$3") + " ;;")
    }
    out += ["    *) COMPREPLY=() ;;", "  esac", "}", "",
            "# Completes positional argument number $2 (from 0) of the command $1 from $3.",
            "_kq_argument() {", "  case \"$1\" in"]
    for command in CommandTree.commands {
      var cases: [String] = []
      for (index, argument) in command.arguments.enumerated() where argument.completion != .none {
        let test = argument.isVariadic ? "(( $2 >= \(index) ))" : "(( $2 == \(index) ))"
        cases.append("\(test) && \(action(argument.completion, current: "$3"))")
      }
      if !cases.isEmpty {
        out.append("    \(CompletionModel.quotedPath(command.path))) " + cases.joined(separator: "; ") + " ;;")
      }
    }
    out += ["  esac", "}", ""]
    out += mainFunction
    return out.joined(separator: "\n") + "\n"
  }

  static func action(_ completion: Completion, current: String) -> String {
    switch completion {
    case .none: "COMPREPLY=()"
    case .choices(let words): "COMPREPLY=($(compgen -W \"\(words.joined(separator: " "))\" -- \"\(current)\"))"
    case .topic: "_kq_names topic \"\(current)\""
    case .group: "_kq_names group \"\(current)\""
    case .file: "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"\(current)\"))"
    case .directory: "compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"\(current)\"))"
    }
  }

  static let mainFunction = [
    "_kq() {",
    "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word flag=\"\" ended=0",
    "  local -i i=1 count=0",
    "  local -a kq_dir=()",
    "  COMPREPLY=()",
    "  while (( i < COMP_CWORD )); do",
    "    word=\"${COMP_WORDS[i]}\"",
    "    if [[ -n $flag ]]; then",
    "      # The value of $flag; a '=' on its own is what bash splits --flag=value into.",
    "      if [[ $word != = ]]; then",
    "        [[ $flag == --dir ]] && kq_dir=(--dir \"$word\")",
    "        flag=\"\"",
    "      fi",
    "    elif (( !ended )) && [[ $word == -- ]]; then",
    "      ended=1",
    "    elif (( !ended )) && [[ $word == --dir=* ]]; then",
    "      kq_dir=(--dir \"${word#--dir=}\")",
    "    elif (( !ended )) && [[ $word == -?* ]]; then",
    "      _kq_takes_value \"$path\" \"$word\" && flag=\"$word\"",
    "    elif (( count == 0 )) && _kq_node \"${path:+$path }$word\"; then",
    "      path=\"${path:+$path }$word\"",
    "    else",
    "      count+=1",
    "    fi",
    "    i+=1",
    "  done",
    "  if [[ -n $flag ]]; then",
    "    [[ $cur == = ]] && cur=\"\"",
    "    _kq_value \"$path\" \"$flag\" \"$cur\"",
    "  elif (( !ended )) && [[ $cur == --?*=* ]]; then",
    "    flag=\"${cur%%=*}\"",
    "    _kq_value \"$path\" \"$flag\" \"${cur#*=}\"",
    "    COMPREPLY=(\"${COMPREPLY[@]/#/$flag=}\")",
    "  elif (( !ended )) && [[ $cur == -* ]]; then",
    "    COMPREPLY=($(compgen -W \"$(_kq_flags \"$path\")\" -- \"$cur\"))",
    "  elif (( count == 0 )) && [[ -z $path || $(_kq_subcommands \"$path\") ]]; then",
    "    COMPREPLY=($(compgen -W \"$(_kq_subcommands \"$path\")\" -- \"$cur\"))",
    "    (( ${#COMPREPLY[@]} )) || _kq_argument \"$path\" \"$count\" \"$cur\"",
    "  else",
    "    _kq_argument \"$path\" \"$count\" \"$cur\"",
    "  fi",
    "}",
    "",
    "complete -F _kq kq",
  ]
}
