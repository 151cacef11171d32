#!/bin/bash
# The manual pages and policy/FORMAT.md document exactly what the programs
# and the parser accept: every option and verb in --help of devpassd and
# devpassctl has its entry in devpassd(8) / devpassctl(1) (and no entry
# names one that is gone), and every key of policy/keys.c's table is in
# devpass.policy(5) and FORMAT.md under its own section.
# Usage: docs-check.sh DEVPASSD DEVPASSCTL SOURCE_DIR
set -euo pipefail
devpassd=$1 devpassctl=$2 src=$3
fails=0 checks=0

# compare NAME EXPECTED-LIST ACTUAL-LIST: sorted sets, one item a line
compare()
{
        local what=$1 want have
        want=$(printf '%s\n' "$2" | sed '/^$/d' | sort -u)
        have=$(printf '%s\n' "$3" | sed '/^$/d' | sort -u)
        checks=$((checks + 1))
        if [ -z "$want" ]; then
                echo "FAIL: $what: nothing found to compare (parser broken?)"
                fails=$((fails + 1))
        elif [ "$want" != "$have" ]; then
                echo "FAIL: $what"
                diff <(echo "$want") <(echo "$have") | sed -n 's/^</  missing:/p; s/^>/  extra:  /p'
                fails=$((fails + 1))
        else
                echo "ok: $what ($(echo "$want" | wc -l) items)"
        fi
}

# options in a --help text
help_opts() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
# options that a man page defines: definition lines start with *-
man_opts() { grep '^\*-' "$1" | grep -o -- '--[a-z][a-z-]*' | sort -u; }
# words a man page defines in section "# $2": lines starting with *WORD
man_defs()
{
        awk -v sec="# $2" '/^# /{ on = ($0 == sec); next }
                on && /^\*[A-Za-z]/ { s = $0; sub(/^\*/, "", s);
                        sub(/[*= ].*/, "", s); print s }' "$1"
}

d_help=$("$devpassd" --help)
c_help=$("$devpassctl" --help)

compare "devpassd(8) options = devpassd --help" \
        "$(help_opts <<<"$d_help")" "$(man_opts "$src/man/devpassd.8.scd")"
compare "devpassctl(1) options = devpassctl --help" \
        "$(help_opts <<<"$c_help")" "$(man_opts "$src/man/devpassctl.1.scd")"
c_verbs=$(sed -n '/^Verbs:/,/^$/p' <<<"$c_help" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
compare "devpassctl(1) verbs = devpassctl --help verbs" \
        "$c_verbs" "$(man_defs "$src/man/devpassctl.1.scd" VERBS)"
# every verb --help lists is one devpassctl accepts, and so is each option
# its help line(s) give it. 1001 arguments are more than any verb takes, so
# that no verb runs: options are checked before the argument count.
many=$(seq 1001)
verb_lines=$(sed -n '/^Verbs:/,/^$/p' <<<"$c_help" | awk '
        /^  [a-z]/ { v = $1 } /^   / && v { print v, $0; next } v { print }')
for v in $c_verbs; do
        checks=$((checks + 1))
        out=$("$devpassctl" --socket /nonexistent "$v" --no-such-option $many 2>&1) || true
        if [[ $out != *"does not take --no-such-option"* ]]; then
                echo "FAIL: devpassctl does not know the verb '$v' its --help lists: $out"
                fails=$((fails + 1))
                continue
        fi
        for opt in $(awk -v v="$v" '$1 == v' <<<"$verb_lines" | help_opts); do
                checks=$((checks + 1))
                out=$("$devpassctl" --socket /nonexistent "$v" "$opt" $many 2>&1) || true
                if [[ $out != *"wrong number of arguments"* ]]; then
                        echo "FAIL: --help gives '$v' $opt, devpassctl refuses it: $out"
                        fails=$((fails + 1))
                fi
        done
done
echo "ok: devpassctl accepts each verb and verb option of its --help"

# the key table: M("Key", ...) are [Match] keys, {"Key", SECTION_X, ...}
keys_of()
{
        local sec=$1
        if [ "$sec" = Match ]; then
                sed -n 's/^ *M("\([A-Za-z]*\)".*/\1/p' "$src/policy/keys.c"
        fi
        sed -n "s/^ *{\"\([A-Za-z]*\)\", SECTION_${sec^^},.*/\1/p" "$src/policy/keys.c"
}
# FORMAT.md: table rows | `Key=` | under "## [Section]"
format_keys()
{
        awk -v sec="## [$1]" '/^## /{ on = ($0 == sec); next }
                on && /^\| `[A-Za-z]+=` \|/ { s = $0; sub(/^\| `/, "", s);
                        sub(/=.*/, "", s); print s }' "$src/policy/FORMAT.md"
}
for sec in Match Target Grant; do
        compare "devpass.policy(5) [$sec] keys = policy/keys.c" \
                "$(keys_of $sec)" "$(man_defs "$src/man/devpass.policy.5.scd" "[$sec]")"
        compare "FORMAT.md [$sec] keys = policy/keys.c" \
                "$(keys_of $sec)" "$(format_keys $sec)"
done

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
