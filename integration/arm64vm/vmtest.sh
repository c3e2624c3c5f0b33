# Helpers for batch scripts that run inside the arm64 test VM (busybox sh).
# run.sh copies this file into every run; a batch script loads it with
#
#   . "$MOAT_VM_CTL/vmtest.sh"
#
# and then calls, once per test,
#
#   vm_test NAME [--timeout SECS] -- COMMAND [ARG...]
#
# which runs COMMAND (default limit 120 s), saves its stdout and stderr in
# $MOAT_VM_OUT/logs/NAME.log and appends one tab-separated line
#
#   NAME  PASS|FAIL|TIMEOUT  EXIT_STATUS  MILLISECONDS
#
# to $MOAT_VM_OUT/results.tsv. `vm_summary` prints the totals and returns 1
# when a test did not pass. `run.sh --out DIR` copies $MOAT_VM_OUT to DIR on
# the host. Times are emulation times: never report them as arm64 speed.

vm_now_ms() {
  awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

vm_test() {
  _name=$1
  shift
  _limit=120
  if [ "${1:-}" = --timeout ]; then
    _limit=$2
    shift 2
  fi
  [ "${1:-}" = -- ] && shift
  mkdir -p "$MOAT_VM_OUT/logs"
  _log=$MOAT_VM_OUT/logs/$_name.log
  _start=$(vm_now_ms)
  timeout -s KILL "$_limit" "$@" </dev/null >"$_log" 2>&1
  _rc=$?
  _ms=$(($(vm_now_ms) - _start))
  if [ $_rc -eq 0 ]; then
    _result=PASS
  elif [ $_rc -eq 137 ] && [ $_ms -ge $((_limit * 1000)) ]; then
    _result=TIMEOUT
  else
    _result=FAIL
  fi
  printf '%s\t%s\t%s\t%s\n' "$_name" $_result $_rc $_ms >>"$MOAT_VM_OUT/results.tsv"
  echo "$_result $_name ($_rc, ${_ms} ms)"
  if [ $_result != PASS ]; then
    tail -n 20 "$_log" | sed 's/^/    | /'
  fi
  [ $_result = PASS ]
}

vm_summary() {
  [ -f "$MOAT_VM_OUT/results.tsv" ] || {
    echo "no tests ran"
    return 1
  }
  _pass=$(grep -c '	PASS	' "$MOAT_VM_OUT/results.tsv")
  _total=$(wc -l <"$MOAT_VM_OUT/results.tsv")
  echo "$_pass of $_total tests passed"
  [ "$_pass" -eq "$_total" ]
}
