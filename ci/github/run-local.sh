#!/usr/bin/env bash
# Runs the steps of the refreshproof GitHub Action (action.yml) on this
# machine, all but the artifact upload, with the runner's files emulated:
# a place to try the action's inputs before pushing, and what the
# project's tests use to keep the action working.
#
#   ci/github/run-local.sh --directory examples/sf-query-on401 --scenarios expired-access-token
#   ci/github/run-local.sh --packages "dist/npm/refreshproof-0.1.0.tgz dist/npm/refreshproof-linux-x64-0.1.0.tgz" ...
#
# Every input of action.yml is a flag of the same name. It prints the
# workflow commands (::error, ::warning) as the runner would read them,
# leaves the job summary, outputs and reports where it says, and exits
# with the code the job would fail with.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The action's steps that run a script, in order (the upload is a uses: step).
steps=(install check summary annotate)

export RP_VERSION=0.1.0 RP_DIRECTORY=. RP_INSTALL_DEPENDENCIES=true RP_REPORTS_DIR=refreshproof-reports
while [ $# -gt 0 ]; do
  flag=$1
  [ $# -ge 2 ] || { echo "run-local.sh: $flag needs a value" >&2; exit 2; }
  case "$flag" in
  --version) RP_VERSION=$2 ;;
  --packages) export RP_PACKAGES=$2 ;;
  --directory) RP_DIRECTORY=$2 ;;
  --provider) export RP_PROVIDER=$2 ;;
  --action) export RP_ACTION=$2 ;;
  --strategy) export RP_STRATEGY=$2 ;;
  --config) export RP_CONFIG=$2 ;;
  --scenarios) export RP_SCENARIOS=$2 ;;
  --label-filter) export RP_LABEL_FILTER=$2 ;;
  --args) export RP_ARGS=$2 ;;
  --install-dependencies) RP_INSTALL_DEPENDENCIES=$2 ;;
  --reports-dir) RP_REPORTS_DIR=$2 ;;
  --artifact-name) ;; # only the upload uses it
  *) echo "run-local.sh: unknown flag $flag (the flags are the inputs of action.yml)" >&2; exit 2 ;;
  esac
  shift 2
done

runner="${RP_RUNNER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/refreshproof-runner.XXXXXX")}"
mkdir -p "$runner/temp"
export RUNNER_TEMP="$runner/temp" GITHUB_ACTION_PATH="$here"
export GITHUB_PATH="$runner/path" GITHUB_OUTPUT="$runner/output" GITHUB_STEP_SUMMARY="$runner/summary.md"
: > "$GITHUB_PATH"; : > "$GITHUB_OUTPUT"; : > "$GITHUB_STEP_SUMMARY"

failed=0
for step in "${steps[@]}"; do
  # The steps after check run if: always(); a failed install skips check,
  # as a failed step does on GitHub.
  if [ "$step" = check ] && [ "$failed" -ne 0 ]; then
    continue
  fi
  echo "== $step"
  # A step sees the directories earlier steps added to GITHUB_PATH.
  while IFS= read -r p; do [ -n "$p" ] && PATH="$p:$PATH"; done < "$GITHUB_PATH"
  code=0
  "$here/steps.sh" "$step" || code=$?
  if [ "$code" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=$code
  fi
done
echo "== outputs ($GITHUB_OUTPUT)"
cat "$GITHUB_OUTPUT"
echo "== job summary: $GITHUB_STEP_SUMMARY; reports: $RP_REPORTS_DIR"
exit "$failed"
