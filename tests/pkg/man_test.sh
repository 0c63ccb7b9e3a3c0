#!/usr/bin/env bash
# The man pages say what the programs do (docs/man/*.scd, built with scdoc):
#   man_test.sh NETCTL FLOATER SOURCE_DIR MAN_BUILD_DIR
# - every option `netctl help COMMAND` lists is in that command's section of netctl(1)
#   and of docs/usage.md, and netctl(1) names no option a command does not have;
# - check and watch share the options of CHECK_ARGS_OPTS (cmd/netctl/check.h), documented
#   once in a "Check options" section (below);
# - every option `floater --help` lists is in floater(8);
# - every field `netctl config --json` writes (those written only when set, set) has an
#   entry in netctl-config(5);
# - each built page renders with man(1) without a warning.
set -euo pipefail
NETCTL=$(realpath "$1")
FLOATER=$(realpath "$2")
SRC=$(realpath "$3")
MAN=$(realpath "$4")
T=$(mktemp -d /tmp/netctl-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# section FILE HEADER: the lines of FILE from the line HEADER to the next header of the
# same or a higher level.
section() {
  awk -v h="$2" '
    $0 == h { on = 1; split(h, p, " "); level = length(p[1]); print; next }
    on && /^#+ / { split($0, q, " "); if (length(q[1]) <= level) exit }
    on { print }' "$1"
}
# options TEXT: the option names ("--name", "-x") of a usage text's option lines.
options() {
  grep -E '^  +-' <<<"$1" | grep -oE '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u
}

# help_options CMD [SUB]: the option lines of `netctl help CMD [SUB]`, global ones left out.
help_options() {
  "$NETCTL" help "$@" | sed '/^Global options:/,$d' | grep -E '^  +-' || true
}

commands=$("$NETCTL" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
global=$(options "$("$NETCTL" --help | sed -n '/^Global options:/,$p')")
page=$SRC/docs/man/netctl.1.scd
# check and watch take the same options for what is checked and how (CHECK_ARGS_OPTS in
# cmd/netctl/check.h). Those are documented once, in netctl(1)'s "## Check options" and in
# docs/usage.md's "### Check options" (inside netctl check's section). That section counts
# as part of the sections of check and watch, both of which must point to it, and it may
# name only options that `netctl help check` and `netctl help watch` list with the same line.
shared_cmds="check watch"
man_shared=$(section "$page" "## Check options")
usage_shared=$(section "$SRC/docs/usage.md" "### Check options")
[[ -n $man_shared ]] || fail "netctl(1) has no section '## Check options'"
[[ -n $usage_shared ]] || fail "docs/usage.md has no section '### Check options'"
same=$(options "$(comm -12 <(help_options check | sort) <(help_options watch | sort))")
for opt in $(grep -oE '\*--?[a-zA-Z][a-z-]*\*' <<<"$man_shared" | tr -d '*' | sort -u); do
  checks=$((checks + 1))
  grep -qxF -- "$opt" <<<"$same" ||
    fail "netctl(1), Check options: names $opt, which check and watch do not share"
done
for opt in $(grep -oE '`--?[a-zA-Z][a-z-]*' <<<"$usage_shared" | tr -d '`' | sort -u); do
  checks=$((checks + 1))
  grep -qxF -- "$opt" <<<"$same" ||
    fail "docs/usage.md, Check options: names $opt, which check and watch do not share"
done
for opt in $global; do
  checks=$((checks + 1))
  section "$page" "# GLOBAL OPTIONS" | grep -qF -- "*$opt*" || fail "netctl(1) GLOBAL OPTIONS lack $opt"
done
for cmd in $commands; do
  subs=
  [[ $cmd == cluster ]] && subs="add import list remove"
  man_text=$(section "$page" "## netctl $cmd")
  usage_text=$(section "$SRC/docs/usage.md" "## netctl $cmd")
  [[ -n $man_text ]] || fail "netctl(1) has no section '## netctl $cmd'"
  [[ -n $usage_text || $cmd == help ]] || fail "docs/usage.md has no section '## netctl $cmd'"
  if [[ " $shared_cmds " == *" $cmd "* ]]; then
    checks=$((checks + 2))
    grep -qF '*Check options*' <<<"$man_text" || fail "netctl(1), netctl $cmd: no '*Check options*'"
    grep -qF '](#check-options)' <<<"$usage_text" ||
      fail "docs/usage.md, netctl $cmd: no link to #check-options"
    man_text+=$'\n'$man_shared
    usage_text+=$'\n'$usage_shared
  fi
  all=
  for sub in ${subs:-""}; do
    for opt in $(options "$(help_options "$cmd" ${sub:+"$sub"})"); do
      all+=" $opt"
      checks=$((checks + 1))
      grep -qF -- "*$opt*" <<<"$man_text" || fail "netctl(1), netctl $cmd $sub: $opt missing"
      if [[ $opt == --* ]]; then
        checks=$((checks + 1))
        grep -qE -- "$opt([^a-z-]|$)" <<<"$usage_text" ||
          fail "docs/usage.md, netctl $cmd $sub: $opt missing"
      fi
    done
  done
  # and the other way round: an option the page names is one the command has
  for opt in $(grep -oE '\*--?[a-zA-Z][a-z-]*\*' <<<"$man_text" | tr -d '*' | sort -u); do
    checks=$((checks + 1))
    grep -qxF -- "$opt" <<<"$(tr ' ' '\n' <<<"$all $global")" ||
      fail "netctl(1), netctl $cmd: names $opt, which 'netctl help $cmd' does not list"
  done
done

for opt in $(options "$("$FLOATER" --help | sed 's/^usage: floater//' | tr '[' '\n' | sed 's/^/  /')") --help --version; do
  checks=$((checks + 1))
  grep -qF -- "*$opt*" "$SRC/docs/man/floater.8.scd" || fail "floater(8) lacks $opt"
done

mkdir -p "$T/work" && cd "$T/work"
# the fields `config --json` writes only when they are set
echo '{"customizedTargetIPList": ["192.0.2.1"], "customizedTargetPortList": ["80"]}' >config.json
for field in $(HOME=$T "$NETCTL" config --json | grep -oE '^  "[A-Za-z]+"' | tr -d ' "'); do
  checks=$((checks + 1))
  section "$SRC/docs/man/netctl-config.5.scd" "# FIELDS" | grep -qE -- "^\*$field\*( |$)" ||
    fail "netctl-config(5) has no entry for the field $field"
done

for p in netctl.1 floater.8 netctl-config.5; do
  checks=$((checks + 1))
  warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$MAN/$p" 2>&1 >/dev/null)
  [[ -z $warnings ]] || fail "$p renders with warnings: $warnings"
  echo "$p: $(MANWIDTH=80 man -l "$MAN/$p" 2>/dev/null | wc -l) lines rendered"
done
echo "$checks checks, $fails failed"
((fails == 0))
