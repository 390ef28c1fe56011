# SPDX-License-Identifier: MIT
# bash completion for tangle(1). Commands, options and TANGLE_OPTIONS keys
# are read from the command's own --help, so they never fall behind it.
# Installed as share/bash-completion/completions/tangle; or source it.

_tangle_help() # _tangle_help TANGLE [COMMAND]: the help text
{
    "$1" ${2:+"$2"} --help 2>/dev/null
}

_tangle()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local tangle=${COMP_WORDS[0]} cmd="" i
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            # The program and its own arguments.
            if ((i + 1 == COMP_CWORD)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            elif declare -F _command_offset >/dev/null; then
                _command_offset $((i + 1))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            return
        fi
        [[ -z $cmd && ${COMP_WORDS[i]} != -* ]] && cmd=${COMP_WORDS[i]}
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$(_tangle_help "$tangle" | sed -n 's/^  tangle \([a-z][a-z]*\).*/\1/p') --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --on-deadlock) COMPREPLY=($(compgen -W "exit abort hang" -- "$cur")); return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "text json$([[ $cmd == report ]] && echo " sarif dot html")" -- "$cur")); return ;;
        -O)
            local keys
            keys=$(_tangle_help "$tangle" | sed -n '/with these keys:/,/^$/s/^  \([a-z_][a-z_]*\) .*/\1=/p')
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "$keys" -- "$cur"))
            return ;;
        --json | --html | --sarif | --log | -o | --output | --suppress) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --exitcode | --stall-ms | --check-ms | --max-patterns | --max-warnings) return ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$( { _tangle_help "$tangle" "$cmd"; [[ $cmd == record ]] && _tangle_help "$tangle" run; } |
            sed -n 's/^  *\(-[A-Za-z], \)\{0,1\}\(--\{0,1\}[A-Za-z][-a-z]*\).*/\2/p')
        COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _tangle tangle
