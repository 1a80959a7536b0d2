#!/usr/bin/env bash
# Runs one shiprig command for the action, with `--json`, and publishes its outputs:
# `verdict` (from the exit code), `result` (the JSON it printed) and `exit-code`; the step fails
# on the command's exit code, except the gate's posted verdict (1). The command
# and arguments are split on whitespace into argv; nothing is evaluated by a shell.
#
# Reads SHIPRIG_BIN, SHIPRIG_COMMAND, SHIPRIG_ARGS and GITHUB_OUTPUT; the token and App
# credentials reach shiprig through its own environment, never through argv.
set -euo pipefail

bin="${SHIPRIG_BIN:-shiprig}"
read -r -a command <<<"${SHIPRIG_COMMAND:-}"
read -r -a args <<<"${SHIPRIG_ARGS:-}"
if [ "${#command[@]}" -eq 0 ]; then
    echo "::error title=shiprig::the action's 'command' input is empty"
    exit 2
fi

result="$(mktemp)"
trap 'rm -f "$result"' EXIT
set +e
"$bin" --json "${command[@]}" "${args[@]}" >"$result"
code=$?
set -e
cat "$result"

case "$code" in
    0) verdict="ok" ;;
    1) verdict="no" ;;
    2) verdict="usage" ;;
    *) verdict="outside" ;;
esac

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    # A delimiter the output cannot contain, so the JSON cannot end the value early.
    delimiter="shiprig_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    {
        echo "verdict=$verdict"
        echo "exit-code=$code"
        echo "result<<$delimiter"
        cat "$result"
        echo "$delimiter"
    } >>"$GITHUB_OUTPUT"
fi

# The gate's "a human is needed" (exit 1) is a verdict it posted as the `shiprig/human-gate`
# check, not a failure of the job: the step succeeds and the outputs still say `no` and 1.
# The job is red only when the gate could not judge (2, 3).
if [ "${#command[@]}" -eq 1 ] && [ "${command[0]}" = "gate" ] && [ "$code" -eq 1 ]; then
    echo "shiprig gate: a human review is needed; the verdict is posted as the shiprig/human-gate check"
    exit 0
fi
exit "$code"
