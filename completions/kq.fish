# fish completion for kq. Generated from CommandTree by GeneratedFiles; do not edit by hand.
# Install: copy to ~/.config/fish/completions/kq.fish.

# Prints --dir and its value when the command line has one.
function __kq_dir_args
    set -l tokens (commandline -opc)
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --dir
                set -l next (math $i + 1)
                test $next -le (count $tokens); and printf '%s\n' --dir $tokens[$next]
            case '--dir=*'
                printf '%s\n' --dir (string replace -- --dir= '' $tokens[$i])
        end
    end
end

# Prints the names of kind $argv[1] (topic or group).
function __kq_names
    command kq (__kq_dir_args) $argv[1] list 2>/dev/null
end

# Succeeds when the words in $argv[1] name a command or a group of commands.
function __kq_node
    switch $argv[1]
        case 'topic' 'topic create' 'topic list' 'topic delete' 'topic alter' 'topic compact' 'produce' 'consume' 'pipe' 'mirror' 'describe' 'verify' 'group' 'group list' 'group describe' 'group reset' 'group delete'
            return 0
    end
    return 1
end

# Prints the options of the command $argv[1] that take a value.
function __kq_value_flags
    switch $argv[1]
        case 'topic create'
            printf '%s\n' -p --partitions --retention --config
        case 'topic alter'
            printf '%s\n' --config --retention -p --partitions
        case 'produce'
            printf '%s\n' -K --key-delimiter --key -H --header -p --partition --sync --compression --timestamp
        case 'consume'
            printf '%s\n' --from --since --until -p --partition -n --max --format --group --exec --batch --batch-bytes --session-timeout --idle
        case 'pipe'
            printf '%s\n' --group --exec --from-topics -K --key-delimiter --partition-by --timeout --batch --batch-bytes --commit-interval --session-timeout
        case 'mirror'
            printf '%s\n' --group --session-timeout
        case 'group reset'
            printf '%s\n' --topic --to-offset --to-datetime --shift-by -p --partition
    end
    printf '%s\n' --dir --brokers --broker-timeout
end

# Prints the command words on the line so far, such as 'topic create'.
function __kq_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l skip 0
    for token in $tokens
        if test $skip = 1
            set skip 0
        else if string match -q -- '-*' $token
            contains -- $token (__kq_value_flags $path); and set skip 1
        else if __kq_node (string trim -- "$path $token")
            set path (string trim -- "$path $token")
        else
            break
        end
    end
    echo $path
end

# Succeeds when the command words on the line are exactly $argv[1].
function __kq_at
    set -l path (__kq_path)
    test "$path" = "$argv[1]"
end

complete -c kq -f
complete -c kq -l dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Use the data directory PATH (default'
complete -c kq -l brokers -x -d 'Work on the Kafka cluster these brokers lead to instead of a data directory (default'
complete -c kq -l broker-timeout -x -d 'With --brokers'
complete -c kq -s h -l help -d 'Show help for kq or for the command, and exit'
complete -c kq -l version -d 'Print kq\'s version and exit'
complete -c kq -n '__kq_at \'\'' -a topic -d 'Create, list, alter and delete topics'
complete -c kq -n '__kq_at \'\'' -a produce -d 'Append records read from stdin to a topic'
complete -c kq -n '__kq_at \'\'' -a consume -d 'Write a topic\'s records to stdout'
complete -c kq -n '__kq_at \'\'' -a pipe -d 'Turn a topic into another through a command, exactly once'
complete -c kq -n '__kq_at \'\'' -a mirror -d 'Copy a topic between the data directory and a Kafka cluster, resumably'
complete -c kq -n '__kq_at \'\'' -a describe -d 'Show the data directory, or one topic in detail'
complete -c kq -n '__kq_at \'\'' -a verify -d 'Check topics and group offsets for damage, and repair what is safe'
complete -c kq -n '__kq_at \'\'' -a group -d 'List, inspect, reset and delete consumer groups'
complete -c kq -n '__kq_at \'topic\'' -a create -d 'Create a topic'
complete -c kq -n '__kq_at \'topic\'' -a list -d 'List topics'
complete -c kq -n '__kq_at \'topic\'' -a delete -d 'Delete topics and all their records'
complete -c kq -n '__kq_at \'topic\'' -a alter -d 'Change a topic\'s configuration or add partitions'
complete -c kq -n '__kq_at \'topic\'' -a compact -d 'Compact a topic now: keep each key\'s last record'
complete -c kq -n '__kq_at \'group\'' -a list -d 'List consumer groups'
complete -c kq -n '__kq_at \'group\'' -a describe -d 'Show a group\'s offsets, lag and leases (members on a cluster)'
complete -c kq -n '__kq_at \'group\'' -a reset -d 'Plan or move a group\'s committed offsets'
complete -c kq -n '__kq_at \'group\'' -a delete -d 'Delete a consumer group and its committed offsets'
complete -c kq -n '__kq_at \'topic create\'' -s p -l partitions -x -d 'Number of partitions, 1 to 10000 (default 1)'
complete -c kq -n '__kq_at \'topic create\'' -l retention -x -d 'Keep records this long, e.g'
complete -c kq -n '__kq_at \'topic create\'' -l config -x -d 'Set a configuration key by Kafka\'s name'
complete -c kq -n '__kq_at \'topic create\'' -l if-not-exists -d 'Succeed without changing anything when the topic already exists (otherwise that is an error)'
complete -c kq -n '__kq_at \'topic list\'' -l json -d 'Print a JSON array with one object per topic instead of one name per line'
complete -c kq -n '__kq_at \'topic delete\'' -a '(__kq_names topic)' -d 'NAME'
complete -c kq -n '__kq_at \'topic delete\'' -l if-exists -d 'Skip names that do not exist (otherwise a missing topic is an error, exit 66)'
complete -c kq -n '__kq_at \'topic alter\'' -a '(__kq_names topic)' -d 'NAME'
complete -c kq -n '__kq_at \'topic alter\'' -l config -x -d 'Set a configuration key by Kafka\'s name'
complete -c kq -n '__kq_at \'topic alter\'' -l retention -x -d 'Keep records this long, e.g'
complete -c kq -n '__kq_at \'topic alter\'' -s p -l partitions -x -d 'Grow the topic to N partitions (at most 10000)'
complete -c kq -n '__kq_at \'topic compact\'' -a '(__kq_names topic)' -d 'NAME'
complete -c kq -n '__kq_at \'topic compact\'' -l json -d 'Print one JSON object with each partition\'s segments and bytes before and after'
complete -c kq -n '__kq_at \'produce\'' -a '(__kq_names topic)' -d 'TOPIC'
complete -c kq -n '__kq_at \'produce\'' -s 0 -l null -d 'Read NUL-terminated records (as find -print0 writes them) instead of lines'
complete -c kq -n '__kq_at \'produce\'' -l json -d 'Read JSON Lines'
complete -c kq -n '__kq_at \'produce\'' -s Z -l empty-as-null -d 'Store empty values as null (tombstones)'
complete -c kq -n '__kq_at \'produce\'' -s K -l key-delimiter -x -d 'Split each record into key and value at the first D'
complete -c kq -n '__kq_at \'produce\'' -l key -x -d 'Give every record the key K'
complete -c kq -n '__kq_at \'produce\'' -s H -l header -x -d 'Add header K with value V to every record'
complete -c kq -n '__kq_at \'produce\'' -s p -l partition -x -d 'Write every record to partition N (default'
complete -c kq -n '__kq_at \'produce\'' -l create -d 'Create the topic with default settings if it does not exist (otherwise that is an error, exit 66), with partitions up to -p\'s when it is given'
complete -c kq -n '__kq_at \'produce\'' -l print-offsets -d 'Write one line \'PARTITION OFFSET\' to stdout for each record stored'
complete -c kq -n '__kq_at \'produce\'' -l sync -x -a 'exit batch none' -d 'When records reach the disk'
complete -c kq -n '__kq_at \'produce\'' -l compression -x -a 'none gzip snappy lz4 zstd' -d 'Compress each batch with CODEC'
complete -c kq -n '__kq_at \'produce\'' -l timestamp -x -d 'Give every record this timestamp'
complete -c kq -n '__kq_at \'consume\'' -a '(__kq_names topic)' -d 'TOPIC'
complete -c kq -n '__kq_at \'consume\'' -l from -x -a 'beginning end' -d 'Where each partition starts'
complete -c kq -n '__kq_at \'consume\'' -l since -x -d 'Start at the records of the last DURATION, e.g'
complete -c kq -n '__kq_at \'consume\'' -l until -x -d 'Stop each partition before this OFFSET or TIME (RFC 3339 or @MILLIS)'
complete -c kq -n '__kq_at \'consume\'' -s p -l partition -x -d 'Read only these partitions (default'
complete -c kq -n '__kq_at \'consume\'' -s n -l max -x -d 'Stop after N records'
complete -c kq -n '__kq_at \'consume\'' -s f -l follow -d 'At the end, wait for new records instead of exiting (the default is to exit at the end, like cat)'
complete -c kq -n '__kq_at \'consume\'' -l format -x -d 'Write each record as FMT with kcat\'s tokens'
complete -c kq -n '__kq_at \'consume\'' -l json -d 'Write one JSON object per line'
complete -c kq -n '__kq_at \'consume\'' -s 0 -l null -d 'Write each value followed by a NUL byte instead of a newline'
complete -c kq -n '__kq_at \'consume\'' -l group -x -a '(__kq_names group)' -d 'Read as consumer group GROUP'
complete -c kq -n '__kq_at \'consume\'' -l no-commit -d 'With --group, read from the group\'s position without moving it'
complete -c kq -n '__kq_at \'consume\'' -l exec -x -d 'With --group, run \'sh -c CMD\' once per batch with the batch on its stdin'
complete -c kq -n '__kq_at \'consume\'' -l batch -x -d 'With --exec, at most N records per batch (default 10000)'
complete -c kq -n '__kq_at \'consume\'' -l batch-bytes -x -d 'With --exec, at most SIZE bytes per batch, e.g'
complete -c kq -n '__kq_at \'consume\'' -l wait -d 'With --group, when another consumer of the group holds every partition, wait for one instead of exiting with status 75'
complete -c kq -n '__kq_at \'consume\'' -l session-timeout -x -d 'On a cluster (--brokers)'
complete -c kq -n '__kq_at \'consume\'' -l idle -x -d 'With -f, exit 0 after DURATION without a new record, e.g'
complete -c kq -n '__kq_at \'consume\'' -l table -d 'Print the table a changelog describes'
complete -c kq -n '__kq_at \'pipe\'' -a '(__kq_names topic)' -d 'IN'
complete -c kq -n '__kq_at \'pipe\'' -a '(__kq_names topic)' -d 'OUT'
complete -c kq -n '__kq_at \'pipe\'' -l group -x -a '(__kq_names group)' -d 'Read as consumer group GROUP'
complete -c kq -n '__kq_at \'pipe\'' -l exec -x -d 'Run \'sh -c CMD\' instead of a command given after --'
complete -c kq -n '__kq_at \'pipe\'' -l from-topics -x -a '(__kq_names topic)' -d 'Read these topics instead of IN, each partition in its own batches'
complete -c kq -n '__kq_at \'pipe\'' -s f -l follow -d 'At the end of the input, wait for new records instead of exiting (the default is to exit, for cron)'
complete -c kq -n '__kq_at \'pipe\'' -l json -d 'Give CMD each record as the JSON line \'kq consume --json\' writes, and read CMD\'s output as \'kq produce --json\' does'
complete -c kq -n '__kq_at \'pipe\'' -s 0 -l null -d 'Give CMD NUL-terminated values and read its output as NUL-terminated records'
complete -c kq -n '__kq_at \'pipe\'' -s K -l key-delimiter -x -d 'Split each record CMD writes into key and value at the first D, as \'kq produce -K\' does'
complete -c kq -n '__kq_at \'pipe\'' -l each -d 'Run CMD once per record, with that record on its stdin and its offset in KQ_FIRST_OFFSET and KQ_LAST_OFFSET, for commands that are not filters'
complete -c kq -n '__kq_at \'pipe\'' -l partition-by -x -a 'key' -d 'Where a record CMD writes goes'
complete -c kq -n '__kq_at \'pipe\'' -l keep-partition -d 'Write the output of input partition N to partition N of OUT, which must have as many partitions'
complete -c kq -n '__kq_at \'pipe\'' -l timeout -x -d 'Kill CMD (its whole process group) when a batch takes longer than DURATION, e.g'
complete -c kq -n '__kq_at \'pipe\'' -l batch -x -d 'At most N records per batch (default 100000)'
complete -c kq -n '__kq_at \'pipe\'' -l batch-bytes -x -d 'At most SIZE bytes of input per batch, e.g'
complete -c kq -n '__kq_at \'pipe\'' -l commit-interval -x -d 'Commit the output and the group\'s offsets after a batch once DURATION has passed since the last commit (default 1s'
complete -c kq -n '__kq_at \'pipe\'' -l wait -d 'When other processes of the group hold every partition, wait for one instead of exiting with status 75'
complete -c kq -n '__kq_at \'pipe\'' -l session-timeout -x -d 'On a cluster (--brokers)'
complete -c kq -n '__kq_at \'mirror\'' -a '(__kq_names topic)' -d 'SRC'
complete -c kq -n '__kq_at \'mirror\'' -a '(__kq_names topic)' -d 'DST'
complete -c kq -n '__kq_at \'mirror\'' -l group -x -a '(__kq_names group)' -d 'Keep the copy\'s progress as the offsets of consumer group GROUP on SRC\'s side (default'
complete -c kq -n '__kq_at \'mirror\'' -s f -l follow -d 'At the end of SRC, wait for new records and copy them too (the default is to stop at the end SRC had when kq started)'
complete -c kq -n '__kq_at \'mirror\'' -l json -d 'At the end, print a JSON summary'
complete -c kq -n '__kq_at \'mirror\'' -l session-timeout -x -d 'On a cluster (--brokers)'
complete -c kq -n '__kq_at \'describe\'' -a '(__kq_names topic)' -d 'TOPIC'
complete -c kq -n '__kq_at \'describe\'' -l json -d 'Print JSON with snake_case keys (log_start_offset, end_offset, records, bytes, segments, first_timestamp, last_timestamp, codecs'
complete -c kq -n '__kq_at \'verify\'' -a '(__kq_names topic)' -d 'TOPIC'
complete -c kq -n '__kq_at \'verify\'' -l repair -d 'Cut torn tails, rebuild indexes, and move damaged data aside into TOPIC-N/damaged/ (never deleting it)'
complete -c kq -n '__kq_at \'verify\'' -l json -d 'Print one JSON object per finding and repair (kind, topic, partition, file, position, message), then one summary object'
complete -c kq -n '__kq_at \'group list\'' -l json -d 'Print a JSON array with one object per group instead of one name per line'
complete -c kq -n '__kq_at \'group describe\'' -a '(__kq_names group)' -d 'GROUP'
complete -c kq -n '__kq_at \'group describe\'' -l json -d 'Print JSON with snake_case keys instead of a table'
complete -c kq -n '__kq_at \'group reset\'' -a '(__kq_names group)' -d 'GROUP'
complete -c kq -n '__kq_at \'group reset\'' -l topic -x -a '(__kq_names topic)' -d 'The topic whose offsets move (required)'
complete -c kq -n '__kq_at \'group reset\'' -l to-earliest -d 'Move to each partition\'s log start offset'
complete -c kq -n '__kq_at \'group reset\'' -l to-latest -d 'Move to each partition\'s log end offset'
complete -c kq -n '__kq_at \'group reset\'' -l to-offset -x -d 'Move to offset N, clamped to each partition\'s valid range'
complete -c kq -n '__kq_at \'group reset\'' -l to-datetime -x -d 'Move to the first record at or after TIME (RFC 3339 or @MILLIS)'
complete -c kq -n '__kq_at \'group reset\'' -l shift-by -x -d 'Move the committed offset by N, negative to re-read, clamped to the valid range'
complete -c kq -n '__kq_at \'group reset\'' -s p -l partition -x -d 'Only these partitions (default'
complete -c kq -n '__kq_at \'group reset\'' -l execute -d 'Apply the plan'
complete -c kq -n '__kq_at \'group reset\'' -l json -d 'Print the plan as JSON instead of a table'
complete -c kq -n '__kq_at \'group delete\'' -a '(__kq_names group)' -d 'GROUP'
