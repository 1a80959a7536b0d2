#!/usr/bin/env bash
# The agent the shiprig-agent workflow runs: replace this with your coding agent.
# Arguments: the issue number and the agent's name (data, never evaluated). Read the issue
# through the API (`gh issue view "$1"`), work on a branch, push it and open a pull request
# whose body says `Closes #<issue>`. A non-zero exit marks the run failed, and the Conductor
# labels the issue `agent-failed`.
set -euo pipefail
issue="$1"
agent="$2"
echo "shiprig agent ${agent}: no coding agent is configured for issue #${issue}." >&2
echo "Replace scripts/shiprig-agent.sh with one." >&2
exit 1
