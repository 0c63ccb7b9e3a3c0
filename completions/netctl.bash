# bash completion for netctl (installed as share/bash-completion/completions/netctl).
#
# Commands and options come from netctl itself (`netctl --help`, `netctl help COMMAND`),
# so they cannot drift from its option tables; cluster names from `netctl cluster list
# --json` and run ids from `netctl history --json`, of the store a --db on the command
# line names. The values of a few options are fixed lists; paths complete as files.

# _netctl_run ARGS...: netctl, with the --db of the command line being completed.
_netctl_run()
{
	"${_netctl_bin:-netctl}" ${_netctl_db:+--db "$_netctl_db"} "$@" 2>/dev/null
}

_netctl_commands()
{
	_netctl_run --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

# _netctl_opts [CMD [SUB]]: one line per option: its names, then its value's name if it
# takes one ("-k --kubeconfig FILE", "--mesh"); the global options without a command.
_netctl_opts()
{
	if (($# == 0)); then
		printf '%s\n' "-v --verbose" "--db PATH" "-h --help" "--version"
		return
	fi
	_netctl_run help "$@" | awk '/^(Global o|O)ptions:/ { on = 1; next } /^$/ { on = 0 }
		on && $1 ~ /^-/ { sub(/,$/, "", $1); line = $1
			for (i = 2; i <= NF && $i ~ /^(-|[A-Z])/; i++) line = line " " $i
			print line }'
}

# _netctl_takes_value OPT: whether OPT of the current command is followed by a value.
_netctl_takes_value()
{
	_netctl_opts $cmd $sub | awk -v o="$1" '{ for (i = 1; i <= NF; i++)
		if ($i == o && $NF ~ /^[A-Z]/) found = 1 } END { exit !found }'
}

_netctl_clusters()
{
	_netctl_run cluster list --json |
		sed -n 's/^    "name": "\([a-z0-9-]*\)",$/\1/p'
}

# the newest 100 runs: the "id" of each run in history --json (four spaces in: what a
# run's options hold is indented further)
_netctl_runs()
{
	_netctl_run history --limit 100 --json | sed -n 's/^    "id": \([0-9]*\),$/\1/p'
}

# _netctl_list WORDS: completes the last item of a comma list ("east,we" -> "east,west"),
# with the words not yet in it.
_netctl_list()
{
	local head= w words=
	[[ $cur == *,* ]] && head=${cur%,*},
	for w in $1; do
		[[ ,$head == *,$w,* ]] || words+=" $w"
	done
	COMPREPLY=($(compgen -P "$head" -W "$words" -- "${cur##*,}"))
}

# _netctl_value OPT: the value of OPT (which takes one).
_netctl_value()
{
	case $cmd:$1 in
	*:--src | *:--dst | clean:-c | clean:--cluster | history:-c | history:--cluster)
		_netctl_list "$(_netctl_clusters)" ;;
	*:--run | report:-r | coverage:-r) COMPREPLY=($(compgen -W "$(_netctl_runs)" -- "$cur")) ;;
	*:--protocol) _netctl_list "icmp tcp udp" ;;
	*:--family) _netctl_list "4 6" ;;
	*:--network) _netctl_list "pod host pod-host host-pod" ;;
	*:--ip-family) COMPREPLY=($(compgen -W "ipv4 ipv6 all" -- "$cur")) ;;
	*:--write-kubeconfigs) COMPREPLY=($(compgen -d -- "$cur")) ;;
	report:--format | report:-f) COMPREPLY=($(compgen -W "table json csv junit html" -- "$cur")) ;;
	*:--db | *:--config | *:--kubeconfig | *:-k | *:--output | *:-o)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

_netctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd= sub= i w args=0 _netctl_bin=${COMP_WORDS[0]} _netctl_db=
	COMPREPLY=()

	# the command, its subcommand, --db, and the positional arguments before cur
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--db) _netctl_db=${COMP_WORDS[i + 1]} && ((i++)) ;;
		--db=*) _netctl_db=${w#--db=} ;;
		-*) [[ $w != *=* ]] && _netctl_takes_value "$w" && ((i++)) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=$w
			elif [[ $cmd == cluster && -z $sub ]]; then
				sub=$w
			else
				((args++))
			fi
			;;
		esac
	done

	if [[ $prev == -* && $prev != *=* ]] && _netctl_takes_value "$prev"; then
		_netctl_value "$prev"
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_netctl_opts $cmd $sub | tr ' ' '\n' | grep '^-')" -- "$cur"))
		return 0
	fi
	case $cmd:$sub:$args in
	::*) COMPREPLY=($(compgen -W "$(_netctl_commands)" -- "$cur")) ;;
	cluster::*) COMPREPLY=($(compgen -W "add import list remove" -- "$cur")) ;;
	cluster:remove:0) COMPREPLY=($(compgen -W "$(_netctl_clusters)" -- "$cur")) ;;
	diff::0 | diff::1) COMPREPLY=($(compgen -W "$(_netctl_runs)" -- "$cur")) ;;
	help::0) COMPREPLY=($(compgen -W "$(_netctl_commands)" -- "$cur")) ;;
	help::1) [[ $prev == cluster ]] && COMPREPLY=($(compgen -W "add import list remove" -- "$cur")) ;;
	esac
	return 0
}
complete -F _netctl netctl
