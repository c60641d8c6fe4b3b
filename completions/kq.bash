# bash completion for kq. Generated from CommandTree by GeneratedFiles; do not edit by hand.
# Install: source this file, or copy it to /usr/share/bash-completion/completions/kq.

# Succeeds when the words in $1 name a command or a group of commands.
_kq_node() {
  case "$1" in
    "topic"|"topic create"|"topic list"|"topic delete"|"topic alter"|"topic compact"|"produce"|"consume"|"pipe"|"mirror"|"describe"|"verify"|"group"|"group list"|"group describe"|"group reset"|"group delete") return 0 ;;
  esac
  return 1
}

# Prints the command words that may follow the path $1.
_kq_subcommands() {
  case "$1" in
    "") echo "topic produce consume pipe mirror describe verify group" ;;
    topic) echo "create list delete alter compact" ;;
    group) echo "list describe reset delete" ;;
  esac
}

# Prints the options of the command $1, global ones included.
_kq_flags() {
  case "$1" in
    "topic create") echo "-p --partitions --retention --config --if-not-exists" ;;
    "topic list") echo "--json" ;;
    "topic delete") echo "--if-exists" ;;
    "topic alter") echo "--config --retention -p --partitions" ;;
    "topic compact") echo "--json" ;;
    produce) echo "-0 --null --json -Z --empty-as-null -K --key-delimiter --key -H --header -p --partition --create --print-offsets --sync --compression --timestamp" ;;
    consume) echo "--from --since --until -p --partition -n --max -f --follow --format --json -0 --null --group --no-commit --exec --batch --batch-bytes --wait --session-timeout --idle --table" ;;
    pipe) echo "--group --exec --from-topics -f --follow --json -0 --null -K --key-delimiter --each --partition-by --keep-partition --timeout --batch --batch-bytes --commit-interval --wait --session-timeout" ;;
    mirror) echo "--group -f --follow --json --session-timeout" ;;
    describe) echo "--json" ;;
    verify) echo "--repair --json" ;;
    "group list") echo "--json" ;;
    "group describe") echo "--json" ;;
    "group reset") echo "--topic --to-earliest --to-latest --to-offset --to-datetime --shift-by -p --partition --execute --json" ;;
    "group delete") echo "" ;;
  esac
  echo "--dir --brokers --broker-timeout -h --help --version"
}

# Succeeds when option $2 of the command $1 takes a value.
_kq_takes_value() {
  case "$1:$2" in
    "topic create:-p"|"topic create:--partitions"|"topic create:--retention"|"topic create:--config") return 0 ;;
    "topic alter:--config"|"topic alter:--retention"|"topic alter:-p"|"topic alter:--partitions") return 0 ;;
    "produce:-K"|"produce:--key-delimiter"|"produce:--key"|"produce:-H"|"produce:--header"|"produce:-p"|"produce:--partition"|"produce:--sync"|"produce:--compression"|"produce:--timestamp") return 0 ;;
    "consume:--from"|"consume:--since"|"consume:--until"|"consume:-p"|"consume:--partition"|"consume:-n"|"consume:--max"|"consume:--format"|"consume:--group"|"consume:--exec"|"consume:--batch"|"consume:--batch-bytes"|"consume:--session-timeout"|"consume:--idle") return 0 ;;
    "pipe:--group"|"pipe:--exec"|"pipe:--from-topics"|"pipe:-K"|"pipe:--key-delimiter"|"pipe:--partition-by"|"pipe:--timeout"|"pipe:--batch"|"pipe:--batch-bytes"|"pipe:--commit-interval"|"pipe:--session-timeout") return 0 ;;
    "mirror:--group"|"mirror:--session-timeout") return 0 ;;
    "group reset:--topic"|"group reset:--to-offset"|"group reset:--to-datetime"|"group reset:--shift-by"|"group reset:-p"|"group reset:--partition") return 0 ;;
    *:--dir|*:--brokers|*:--broker-timeout) return 0 ;;
  esac
  return 1
}

# Completes names of kind $1 (topic or group), reading the data directory --dir names.
_kq_names() {
  local IFS=$'\n'
  COMPREPLY=($(compgen -W "$(command kq "${kq_dir[@]}" "$1" list 2>/dev/null)" -- "$2"))
}

# Completes the value $3 of option $2 of the command $1.
_kq_value() {
  case "$1:$2" in
    "produce:--sync") COMPREPLY=($(compgen -W "exit batch none" -- "$3")) ;;
    "produce:--compression") COMPREPLY=($(compgen -W "none gzip snappy lz4 zstd" -- "$3")) ;;
    "consume:--from") COMPREPLY=($(compgen -W "beginning end" -- "$3")) ;;
    "consume:--group") _kq_names group "$3" ;;
    "pipe:--group") _kq_names group "$3" ;;
    "pipe:--from-topics") _kq_names topic "$3" ;;
    "pipe:--partition-by") COMPREPLY=($(compgen -W "key" -- "$3")) ;;
    "mirror:--group") _kq_names group "$3" ;;
    "group reset:--topic") _kq_names topic "$3" ;;
    *:--dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$3")) ;;
    *:--brokers) COMPREPLY=() ;;
    *:--broker-timeout) COMPREPLY=() ;;
    *) COMPREPLY=() ;;
  esac
}

# Completes positional argument number $2 (from 0) of the command $1 from $3.
_kq_argument() {
  case "$1" in
    "topic delete") (( $2 >= 0 )) && _kq_names topic "$3" ;;
    "topic alter") (( $2 == 0 )) && _kq_names topic "$3" ;;
    "topic compact") (( $2 == 0 )) && _kq_names topic "$3" ;;
    produce) (( $2 == 0 )) && _kq_names topic "$3" ;;
    consume) (( $2 == 0 )) && _kq_names topic "$3" ;;
    pipe) (( $2 == 0 )) && _kq_names topic "$3"; (( $2 == 1 )) && _kq_names topic "$3" ;;
    mirror) (( $2 == 0 )) && _kq_names topic "$3"; (( $2 == 1 )) && _kq_names topic "$3" ;;
    describe) (( $2 == 0 )) && _kq_names topic "$3" ;;
    verify) (( $2 >= 0 )) && _kq_names topic "$3" ;;
    "group describe") (( $2 == 0 )) && _kq_names group "$3" ;;
    "group reset") (( $2 == 0 )) && _kq_names group "$3" ;;
    "group delete") (( $2 == 0 )) && _kq_names group "$3" ;;
  esac
}

_kq() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="" word flag="" ended=0
  local -i i=1 count=0
  local -a kq_dir=()
  COMPREPLY=()
  while (( i < COMP_CWORD )); do
    word="${COMP_WORDS[i]}"
    if [[ -n $flag ]]; then
      # The value of $flag; a '=' on its own is what bash splits --flag=value into.
      if [[ $word != = ]]; then
        [[ $flag == --dir ]] && kq_dir=(--dir "$word")
        flag=""
      fi
    elif (( !ended )) && [[ $word == -- ]]; then
      ended=1
    elif (( !ended )) && [[ $word == --dir=* ]]; then
      kq_dir=(--dir "${word#--dir=}")
    elif (( !ended )) && [[ $word == -?* ]]; then
      _kq_takes_value "$path" "$word" && flag="$word"
    elif (( count == 0 )) && _kq_node "${path:+$path }$word"; then
      path="${path:+$path }$word"
    else
      count+=1
    fi
    i+=1
  done
  if [[ -n $flag ]]; then
    [[ $cur == = ]] && cur=""
    _kq_value "$path" "$flag" "$cur"
  elif (( !ended )) && [[ $cur == --?*=* ]]; then
    flag="${cur%%=*}"
    _kq_value "$path" "$flag" "${cur#*=}"
    COMPREPLY=("${COMPREPLY[@]/#/$flag=}")
  elif (( !ended )) && [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_kq_flags "$path")" -- "$cur"))
  elif (( count == 0 )) && [[ -z $path || $(_kq_subcommands "$path") ]]; then
    COMPREPLY=($(compgen -W "$(_kq_subcommands "$path")" -- "$cur"))
    (( ${#COMPREPLY[@]} )) || _kq_argument "$path" "$count" "$cur"
  else
    _kq_argument "$path" "$count" "$cur"
  fi
}

complete -F _kq kq
