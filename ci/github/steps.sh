#!/usr/bin/env bash
# The steps of the refreshproof composite action (action.yml), one
# subcommand each, so that run-local.sh runs exactly what the action runs.
# Inputs arrive as RP_* environment variables; GitHub's files
# (GITHUB_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) are written as the
# runner expects.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${RP_DIRECTORY:-.}"
reports="${RP_REPORTS_DIR:-refreshproof-reports}"

case "${1:-}" in
install)
  # The component's own dependencies, its sailor included: refreshproof
  # runs the component with them, unmodified.
  if [ "${RP_INSTALL_DEPENDENCIES:-true}" = true ] && [ -f "$dir/package-lock.json" ]; then
    echo "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
  # refreshproof itself goes to a directory of its own, so the
  # component's package.json and lock file stay as they are.
  tool="${RUNNER_TEMP:-/tmp}/refreshproof-tool"
  mkdir -p "$tool"
  spec="${RP_PACKAGES:-refreshproof@${RP_VERSION:?the version input is empty}}"
  echo "npm install $spec"
  # shellcheck disable=SC2086 # RP_PACKAGES may name several tarballs
  npm install --prefix "$tool" --no-save --no-audit --no-fund --loglevel=error $spec
  echo "$tool/node_modules/.bin" >> "${GITHUB_PATH:?}"
  "$tool/node_modules/.bin/refreshproof" version
  ;;

check)
  args=(check "$dir"
    --junit-report "$reports/junit.xml"
    --json-report "$reports/run.json"
    --markdown-report "$reports/report.md"
    --html-report "$reports/report.html")
  [ -n "${RP_PROVIDER:-}" ] && args+=(--provider "$RP_PROVIDER")
  [ -n "${RP_ACTION:-}" ] && args+=(--action "$RP_ACTION")
  [ -n "${RP_STRATEGY:-}" ] && args+=(--strategy "$RP_STRATEGY")
  [ -n "${RP_CONFIG:-}" ] && args+=(--config "$RP_CONFIG")
  [ -n "${RP_SCENARIOS:-}" ] && args+=(--scenarios "$RP_SCENARIOS")
  [ -n "${RP_LABEL_FILTER:-}" ] && args+=(--label-filter "$RP_LABEL_FILTER")
  if [ -n "${RP_ARGS:-}" ]; then
    # Extra flags, split at white space (no quoting; use the inputs above
    # for values with spaces).
    read -r -a extra <<< "$RP_ARGS"
    args+=("${extra[@]}")
  fi
  mkdir -p "$reports"
  code=0
  refreshproof "${args[@]}" || code=$?
  echo "exit-code=$code" >> "${GITHUB_OUTPUT:?}"
  echo "reports=$reports" >> "$GITHUB_OUTPUT"
  case $code in
  0) ;;
  1) echo "::error title=refreshproof::a token-refresh rule failed (exit 1); the job summary and the reports say which and how to fix it" ;;
  *) echo "::error title=refreshproof::the check could not be made (exit $code); the log above says why" ;;
  esac
  exit "$code"
  ;;

summary)
  if [ -f "$reports/report.md" ]; then
    cat "$reports/report.md" >> "${GITHUB_STEP_SUMMARY:?}"
  fi
  ;;

annotate)
  if [ -f "$reports/run.json" ]; then
    node "$here/annotate.js" "$reports/run.json"
  fi
  ;;

*)
  echo "usage: steps.sh install|check|summary|annotate" >&2
  exit 2
  ;;
esac
