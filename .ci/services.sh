#!/usr/bin/env bash
# Two real SPARQL 1.1 servers on loopback for the tests of lmakg's `sparql:` store backend:
#   Oxigraph server (PyPI `oxigraph`)  and  Virtuoso Open Source 7 (Debian `virtuoso-opensource`).
#
#   .ci/services.sh start            start both (free loopback ports, private data dirs), wait until each answers
#   .ci/services.sh env [--plain]    print `export LMAKG_TEST_...=...` lines (eval them); --plain: VAR=value lines
#   .ci/services.sh status           say what runs
#   .ci/services.sh load oxigraph|virtuoso FILE.nq|FILE.nt [GRAPH]   bulk-load a file into a running server
#   .ci/services.sh stop             kill exactly the PIDs `start` recorded, remove the data dirs
#
# Installs nothing (that is .ci/run's job, see .ci/run.services-snippet). State lives in
# ${LMAKG_SERVICES_DIR:-/tmp/lmakg-services}. Binaries: $LMAKG_OXIGRAPH_BIN (default: .venv/bin/oxigraph of this
# checkout, then `oxigraph` on PATH), $LMAKG_VIRTUOSO_BIN (default virtuoso-t), $LMAKG_ISQL_BIN (default isql-vt).
# LMAKG_VIRTUOSO_ANON_UPDATE=1 also lets the anonymous /sparql endpoint run SPARQL Update (test instances only).
# LMAKG_VIRTUOSO_FUNCTIONS=1 defines lmakg's extension function lmf:ln as a Virtuoso SQL procedure named by its
# IRI, so rules calling it run unchanged (by default they fail there, as on any server without it).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${LMAKG_SERVICES_DIR:-/tmp/lmakg-services}"
MARK="$DIR/.lmakg-services"
TIMEOUT="${LMAKG_SERVICES_TIMEOUT:-60}"

die() { echo "services.sh: $*" >&2; exit 1; }

find_bins() {
  OXIGRAPH="${LMAKG_OXIGRAPH_BIN:-}"
  if [ -z "$OXIGRAPH" ]; then
    if [ -x "$ROOT/.venv/bin/oxigraph" ]; then OXIGRAPH="$ROOT/.venv/bin/oxigraph"
    else OXIGRAPH="$(command -v oxigraph || true)"; fi
  fi
  VIRTUOSO="$(command -v "${LMAKG_VIRTUOSO_BIN:-virtuoso-t}" || true)"
  ISQL="$(command -v "${LMAKG_ISQL_BIN:-isql-vt}" || true)"
  PYTHON="$(command -v python3 || true)"
  local missing=()
  [ -n "$OXIGRAPH" ] && [ -x "$OXIGRAPH" ] || missing+=("oxigraph (pip install oxigraph into .venv, or set LMAKG_OXIGRAPH_BIN)")
  [ -n "$VIRTUOSO" ] || missing+=("virtuoso-t (apt-get install -y virtuoso-opensource)")
  [ -n "$ISQL" ] || missing+=("isql-vt (apt-get install -y virtuoso-opensource)")
  [ -n "$PYTHON" ] || missing+=("python3")
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'services.sh: missing binary: %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

# N free TCP ports on 127.0.0.1 (the kernel picks them; they are released just before the servers bind them).
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_ready NAME PID URL LOG: poll URL (a SPARQL ASK) until it answers 200, the process dies or TIMEOUT passes.
wait_ready() {
  local name="$1" pid="$2" url="$3" log="$4"
  "$PYTHON" - "$name" "$pid" "$url" "$TIMEOUT" <<'EOF' || { echo "--- last lines of $log:" >&2; tail -n 20 "$log" >&2; return 1; }
import os, sys, time, urllib.request
name, pid, url, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
deadline = time.monotonic() + timeout
last = "no answer yet"
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"services.sh: {name} (pid {pid}) exited before answering a query")
    try:
        with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=5) as r:
            if r.status == 200:
                sys.exit(0)
            last = f"HTTP {r.status}"
    except Exception as exc:  # connection refused while starting up
        last = str(exc)
    time.sleep(0.25)
sys.exit(f"services.sh: {name} (pid {pid}) did not answer {url} within {timeout:.0f} s (last: {last})")
EOF
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_oxigraph() {
  local port="$1" dir="$DIR/oxigraph"
  mkdir -p "$dir/data"
  nohup "$OXIGRAPH" serve --location "$dir/data" --bind "127.0.0.1:$port" </dev/null >"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  wait_ready oxigraph "$(cat "$dir/pid")" "http://127.0.0.1:$port/query" "$dir/server.log" || return 1
}

start_virtuoso() {
  local sql_port="$1" http_port="$2" dir="$DIR/virtuoso"
  mkdir -p "$dir/db" "$dir/load"
  # A private, minimal configuration: database, logs and lock in $dir/db, both listeners on loopback only,
  # the bulk loader may read $dir/load only, no OS calls, no plugins. Memory: 170000 buffers ~ 1.4 GB at most.
  # TransactionAfterImageLimit: one update may log 500 MB (default 50 MB: an INSERT of ~0.5M triples, e.g. a
  # combination rule on 1M triples, aborts with SR325; roll-back data takes about twice as much memory again).
  cat >"$dir/virtuoso.ini" <<EOF
[Database]
DatabaseFile       = $dir/db/virtuoso.db
ErrorLogFile       = $dir/db/virtuoso.log
LockFile           = $dir/db/virtuoso.lck
TransactionFile    = $dir/db/virtuoso.trx
xa_persistent_file = $dir/db/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = $dir/db/virtuoso-temp.db
TransactionFile    = $dir/db/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort            = 127.0.0.1:$sql_port
DisableUnixSocket     = 1
DisableTcpSocket      = 0
MaxClientConnections  = 10
CheckpointInterval    = 60
CaseMode              = 2
AllowOSCalls          = 0
DirsAllowed           = $dir/load
NumberOfBuffers       = ${LMAKG_VIRTUOSO_BUFFERS:-170000}
MaxDirtyBuffers       = ${LMAKG_VIRTUOSO_DIRTY_BUFFERS:-130000}
MaxQueryMem           = 1G
ThreadsPerQuery       = 2
TransactionAfterImageLimit = ${LMAKG_VIRTUOSO_TXN_LIMIT:-500000000}

[HTTPServer]
ServerPort            = 127.0.0.1:$http_port
ServerRoot            = $dir/www
MaxClientConnections  = 10
ServerThreads         = 10
Charset               = UTF-8
EnabledGzipContent    = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 300
EOF
  mkdir -p "$dir/www"
  echo "$sql_port" >"$dir/sql_port"
  echo "$http_port" >"$dir/port"
  # +foreground: no daemon, so $! is the server itself and `stop` can kill exactly it.
  (cd "$dir/db" || exit 1
   nohup "$VIRTUOSO" +foreground +configfile "$dir/virtuoso.ini" </dev/null >"$dir/server.log" 2>&1 &
   echo $! >"$dir/pid")
  wait_ready virtuoso "$(cat "$dir/pid")" "http://127.0.0.1:$http_port/sparql" "$dir/server.log" || return 1
  # A fresh database has dba/dba: give dba a random password (digest auth on /sparql-auth uses it).
  local password
  password="$("$PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
  local grant=""
  [ "${LMAKG_VIRTUOSO_ANON_UPDATE:-0}" = 1 ] && grant='GRANT SPARQL_UPDATE TO "SPARQL";'
  if [ "${LMAKG_VIRTUOSO_FUNCTIONS:-0}" = 1 ]; then
    # Virtuoso resolves a SPARQL call <IRI>(args) to the SQL procedure DB.DBA."IRI"; NULL = unbound, as in lmakg.
    grant="$grant create function DB.DBA.\"https://w3id.org/lmakg/function#ln\" (in x any) returns any
      { if (x is null or x <= 0) return null; return log (cast (x as double precision)); };
      grant execute on DB.DBA.\"https://w3id.org/lmakg/function#ln\" to \"SPARQL\";"
  fi
  "$ISQL" "127.0.0.1:$sql_port" dba dba \
    exec="$grant USER_SET_PASSWORD('dba', '$password');" >"$dir/isql-setup.log" 2>&1 \
    && ! grep -q '\*\*\* Error' "$dir/isql-setup.log" \
    || { cat "$dir/isql-setup.log" >&2; echo "services.sh: virtuoso: could not set up users (isql)" >&2; return 1; }
  (umask 077 && echo "$password" >"$dir/password")
}

cmd_start() {
  find_bins
  if running "$DIR/oxigraph/pid" || running "$DIR/virtuoso/pid"; then
    die "already running (state in $DIR); run '$0 stop' first"
  fi
  if [ -e "$DIR" ] && [ ! -e "$MARK" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR exists and is not ours (no $MARK); set LMAKG_SERVICES_DIR to an empty or new directory"
  fi
  rm -rf "$DIR/oxigraph" "$DIR/virtuoso"
  mkdir -p "$DIR" && touch "$MARK"
  local ports
  read -r -a ports <<<"$(free_ports 3)"
  local t0=$SECONDS
  start_oxigraph "${ports[0]}" || { cmd_stop >/dev/null 2>&1 || true; die "oxigraph did not start"; }
  echo "oxigraph: pid $(cat "$DIR/oxigraph/pid"), http://127.0.0.1:${ports[0]}/query ($((SECONDS - t0)) s)" >&2
  t0=$SECONDS
  start_virtuoso "${ports[1]}" "${ports[2]}" || { cmd_stop >/dev/null 2>&1 || true; die "virtuoso did not start"; }
  echo "virtuoso: pid $(cat "$DIR/virtuoso/pid"), http://127.0.0.1:${ports[2]}/sparql, SQL 127.0.0.1:${ports[1]} ($((SECONDS - t0)) s)" >&2
}

cmd_env() {
  [ -f "$DIR/oxigraph/port" ] && [ -f "$DIR/virtuoso/port" ] || die "not started (no state in $DIR)"
  local ox vt sql pw
  ox="http://127.0.0.1:$(cat "$DIR/oxigraph/port")"
  vt="http://127.0.0.1:$(cat "$DIR/virtuoso/port")"
  sql="$(cat "$DIR/virtuoso/sql_port")"
  pw="$(cat "$DIR/virtuoso/password")"
  # --plain: VAR=value lines as they are; else `export VAR='value'` (a selector holds '#' and '&')
  cat <<EOF | if [ "${1:-}" = "--plain" ]; then cat; else sed "s/^\([A-Z_]*\)=\(.*\)$/export \1='\2'/"; fi
LMAKG_TEST_OXIGRAPH_QUERY=$ox/query
LMAKG_TEST_OXIGRAPH_UPDATE=$ox/update
LMAKG_TEST_OXIGRAPH_STORE=$ox/store
LMAKG_TEST_OXIGRAPH_SELECTOR=sparql:$ox/query#update=$ox/update
LMAKG_TEST_VIRTUOSO_QUERY=$vt/sparql
LMAKG_TEST_VIRTUOSO_UPDATE=$vt/sparql-auth
LMAKG_TEST_VIRTUOSO_AUTH=digest
LMAKG_TEST_VIRTUOSO_USER=dba
LMAKG_TEST_VIRTUOSO_PASSWORD=$pw
LMAKG_TEST_VIRTUOSO_SELECTOR=sparql:$vt/sparql#update=$vt/sparql-auth&union=1
LMAKG_TEST_VIRTUOSO_ISQL=127.0.0.1:$sql
LMAKG_TEST_VIRTUOSO_LOAD_DIR=$DIR/virtuoso/load
EOF
}

cmd_status() {
  local name
  for name in oxigraph virtuoso; do
    if running "$DIR/$name/pid"; then echo "$name: running, pid $(cat "$DIR/$name/pid"), port $(cat "$DIR/$name/port")"
    else echo "$name: not running"; fi
  done
}

# load oxigraph|virtuoso FILE [GRAPH]: the fast path of each server for a whole file.
cmd_load() {
  find_bins
  local server="${1:-}" file="${2:-}" graph="${3:-}"
  [ -f "$file" ] || die "load: no such file: $file"
  case "$file" in
    *.nq) ctype=application/n-quads; [ -z "$graph" ] || die "load: an .nq file names its own graphs" ;;
    *.nt) ctype=application/n-triples ;;
    *.ttl) ctype=text/turtle ;;
    *) die "load: FILE must be .nq, .nt or .ttl" ;;
  esac
  case "$server" in
    oxigraph)
      running "$DIR/oxigraph/pid" || die "oxigraph is not running"
      # Graph Store Protocol POST (N-Quads to /store loads the whole dataset in one request).
      local url="http://127.0.0.1:$(cat "$DIR/oxigraph/port")/store"
      if [ -n "$graph" ]; then url="$url?graph=$("$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$graph")"
      elif [ "$ctype" != application/n-quads ]; then url="$url?default"; fi
      "$PYTHON" - "$url" "$ctype" "$file" <<'EOF'
import sys, urllib.request
url, ctype, path = sys.argv[1:4]
with open(path, "rb") as f:
    req = urllib.request.Request(url, data=f.read(), method="POST", headers={"Content-Type": ctype})
with urllib.request.urlopen(req, timeout=3600) as r:
    assert r.status in (200, 201, 204), r.status
EOF
      ;;
    virtuoso)
      running "$DIR/virtuoso/pid" || die "virtuoso is not running"
      # Virtuoso's RDF bulk loader (ld_dir + rdf_loader_run): reads files from DirsAllowed only.
      local load="$DIR/virtuoso/load" base
      base="$(basename "$file")"
      ln -f "$file" "$load/$base" 2>/dev/null || cp "$file" "$load/$base"
      local g="${graph:-urn:lmakg:default}"
      "$ISQL" "127.0.0.1:$(cat "$DIR/virtuoso/sql_port")" dba "$(cat "$DIR/virtuoso/password")" \
        exec="DELETE FROM DB.DBA.load_list WHERE ll_file = '$load/$base'; ld_dir('$load', '$base', '$g'); rdf_loader_run(); checkpoint; SELECT ll_file, ll_state, ll_error FROM DB.DBA.load_list WHERE ll_file = '$load/$base';" \
        >"$DIR/virtuoso/load.log" 2>&1 && ! grep -q '\*\*\* Error' "$DIR/virtuoso/load.log" \
        || { cat "$DIR/virtuoso/load.log" >&2; die "virtuoso: bulk load failed"; }
      rm -f "$load/$base"
      if grep -q -E "$base +2 +[^N ]" "$DIR/virtuoso/load.log"; then
        cat "$DIR/virtuoso/load.log" >&2; die "virtuoso: the bulk loader reported an error"
      fi
      ;;
    *) die "load: SERVER must be oxigraph or virtuoso" ;;
  esac
}

stop_one() {
  local name="$1" expect="$2" pidfile="$DIR/$1/pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    # Guard against a recycled PID: only signal the process if it still runs the binary we started.
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$expect"; then
      echo "services.sh: pid $pid is no longer $name; not killing it" >&2
      return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "services.sh: $name (pid $pid) ignored SIGTERM for 30 s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "$name: stopped pid $pid" >&2
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  [ -e "$DIR" ] || return 0
  [ -e "$MARK" ] || die "$DIR is not a services directory (no $MARK); not touching it"
  stop_one oxigraph "serve --location $DIR/oxigraph/data"
  stop_one virtuoso "+configfile $DIR/virtuoso/virtuoso.ini"
  rm -rf "$DIR/oxigraph" "$DIR/virtuoso"
  rm -f "$MARK"
  rmdir "$DIR" 2>/dev/null || true
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env "${2:-}" ;;
  status) cmd_status ;;
  load) shift; cmd_load "$@" ;;
  *) echo "usage: $0 start|stop|env [--plain]|status|load oxigraph|virtuoso FILE [GRAPH]" >&2; exit 2 ;;
esac
