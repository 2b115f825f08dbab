#!/usr/bin/env bash
# Serve the gallery from REPLICAS `python app.py` processes behind nginx, in the foreground.
#
#     deploy/serve.sh REPLICAS PORT      # e.g. deploy/serve.sh 2 7860 -> http://127.0.0.1:7860
#
# Each replica listens on a free local port (127.0.0.1); nginx listens on GRADIO_SERVER_NAME:PORT
# (127.0.0.1 unless set, 0.0.0.0 to be reachable from other machines) and keeps each visitor's
# session on one replica (deploy/nginx.conf.template says how). Ctrl-C or SIGTERM stops nginx and every
# replica. Needs nginx (Debian: apt-get install nginx; NGINX=/path/to/nginx to use another) and the
# Python that runs app.py (PYTHON, default `python`). Runs as any user: nginx's config, pid and
# temporary files live in a temporary folder, removed on exit.
set -euo pipefail

if [ "$#" -ne 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 REPLICAS PORT" >&2
  exit 2
fi
replicas=$1 port=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=${PYTHON:-python}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
listen_host=${GRADIO_SERVER_NAME:-127.0.0.1}

work=$(mktemp -d "${TMPDIR:-/tmp}/gallery-serve.XXXXXX")
chmod 755 "$work"  # nginx's workers drop to an unprivileged user when started as root
pids=()

stop_all() {
  trap - INT TERM EXIT
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # app.py gives open event streams 5 s to close; a replica still there after 15 s is killed.
  for _ in $(seq 150); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# Free local ports for the replicas, asked of the kernel.
mapfile -t ports < <("$python" - "$replicas" <<'PY'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in sockets))
PY
)
if [ "${#ports[@]}" -ne "$replicas" ]; then
  echo "could not pick $replicas local ports with $python" >&2
  exit 1
fi

servers="" names=""
for i in "${!ports[@]}"; do
  replica_port=${ports[$i]}
  GRADIO_SERVER_NAME=127.0.0.1 GRADIO_SERVER_PORT=$replica_port "$python" "$root/app.py" &
  pids+=("$!")
  servers+="        server 127.0.0.1:$replica_port max_fails=0;"$'\n'
  names+="        127.0.0.1:$replica_port $((i + 1));"$'\n'  # X-Gallery-Replica: a number, not an address
done

# Wait until every replica accepts connections (uvicorn listens once the app is built and started),
# so that nginx never sends a visitor to one still starting.
for i in "${!ports[@]}"; do
  until (exec 3<>"/dev/tcp/127.0.0.1/${ports[$i]}") 2>/dev/null; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "replica on port ${ports[$i]} exited while starting" >&2
      exit 1
    fi
    sleep 0.2
  done
done

case "$listen_host" in
  *:*) listen="[$listen_host]:$port" ;;  # an IPv6 address
  *) listen="$listen_host:$port" ;;
esac
mkdir -p "$work/temp"
servers=${servers%$'\n'} names=${names%$'\n'}
awk -v servers="$servers" -v names="$names" -v listen="$listen" \
  '{ gsub(/@LISTEN@/, listen); if ($0 ~ /^@SERVERS@$/) print servers; else if ($0 ~ /^@REPLICA_NAMES@$/) print names; else print }' \
  "$here/nginx.conf.template" >"$work/nginx.conf"
"$nginx" -e stderr -p "$work" -c nginx.conf &
pids+=("$!")

echo "* Running on http://$listen: $replicas replicas (ports ${ports[*]}), pids ${pids[*]}" >&2
# Until a signal, or until any process ends (then the others are stopped too).
set +e
wait -n "${pids[@]}"
status=$?
echo "a process of the gallery exited ($status): stopping the others" >&2
exit $(( status == 0 ? 1 : status ))
