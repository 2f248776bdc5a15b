#!/usr/bin/env bash
# Run a measurement (the llama bench, a k6 run against llama-server) in its own session, at
# scheduling priority -5 when run as root, and print the load average before and after.
#   scripts/llama/measure.sh node dist/bench/llama.js [--quick]
# Why a session: with Linux's autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled = 1)
# CPU time is shared between sessions first and `nice` only ranks processes within one session,
# so `nice -n -5 CMD` does not lift CMD above other sessions' work and `nice -n 19` does not lower
# it. setsid gives the measurement its own autogroup, and writing to /proc/PID/autogroup sets that
# group's nice. Without root (or autogroup) it still runs, at normal priority, and says so.
set -euo pipefail
[ $# -gt 0 ] || { echo "measure.sh: give the command to run" >&2; exit 2; }
echo "measure.sh: before: $(uptime)"
exec setsid --wait bash -c '
  if [ -w "/proc/$$/autogroup" ] && echo -5 > "/proc/$$/autogroup" 2>/dev/null; then
    echo "measure.sh: own session, autogroup nice -5"
  else
    echo "measure.sh: own session at normal priority (no autogroup, or not root)"
  fi
  "$@"; status=$?
  echo "measure.sh: after: $(uptime)"
  exit $status' measure "$@"
