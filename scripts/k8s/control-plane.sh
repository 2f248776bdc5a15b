#!/usr/bin/env bash
# A loopback Kubernetes control plane for fleetcap's tests and benchmark: etcd, kube-apiserver
# (RBAC, token auth, TLS from a throwaway CA), kube-controller-manager, kube-scheduler and KWOK
# (fake nodes whose pods become Running and Ready). Everything listens on 127.0.0.1, on free ports.
#
#   control-plane.sh start DIR [PID]  build (cached) + start; writes DIR/kubeconfig; waits for /readyz. With PID,
#                                     a watchdog stops everything once that process is gone (even if SIGKILLed)
#   control-plane.sh stop DIR         stop every process started for DIR (only those: pids in DIR/pids)
#   control-plane.sh env DIR          print KUBECONFIG=... and the other variables
#   control-plane.sh stop-apiserver DIR | start-apiserver DIR    (tests restart the API server)
#   control-plane.sh gpu-nodes DIR COUNT PRODUCT GPUS_PER_NODE [NAME_PREFIX]
#
# kubeconfig contexts: `admin` (system:masters, current) and `limited` (user fleetcap-limited, no rights
# until a RoleBinding grants them: tests of --print-rbac bind the printed Role to it).
# FLEETCAP_K8S_BIN=DIR uses binaries from DIR instead of scripts/k8s/build.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,16p' "$0" >&2; exit 2; }
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"

free_port() { node -e 's=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Is the pid in the file alive and one of ours (its command line mentions DIR)?
ours() { local pid; pid="$(cat "$1" 2>/dev/null)" || return 1; [ -n "$pid" ] && grep -qa -- "$dir" "/proc/$pid/cmdline" 2>/dev/null; }

start_proc() { # name, binary, args...
  local name="$1"; shift
  nohup setsid "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
}

stop_proc() { # name
  local f="$dir/pids/$1.pid" pid i
  ours "$f" || { rm -f "$f"; return 0; }
  pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

api() { # METHOD PATH [JSON]
  curl -sS --max-time 10 --cacert "$dir/pki/ca.crt" -H "Authorization: Bearer $(cat "$dir/admin.token")" \
    -H 'Content-Type: application/json' -X "$1" "https://127.0.0.1:$(cat "$dir/apiserver.port")$2" ${3:+--data "$3"}
}

wait_ready() { # path, what, seconds
  local i
  for i in $(seq 1 $(( $3 * 5 ))); do
    [ "$(api GET "$1" 2>/dev/null)" = ok ] && return 0
    sleep 0.2
  done
  echo "control-plane: $2 not ready after $3 s; logs in $dir/logs" >&2
  return 1
}

start_apiserver() {
  start_proc kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$(cat "$dir/etcd.port")" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$(cat "$dir/apiserver.port")" \
    --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" --client-ca-file="$dir/pki/ca.crt" \
    --service-cluster-ip-range=10.96.0.0/16 --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$dir/pki/sa.pub" --service-account-signing-key-file="$dir/pki/sa.key" \
    --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC --allow-privileged=true \
    --endpoint-reconciler-type=none --max-requests-inflight=0 --max-mutating-requests-inflight=0 \
    --enable-priority-and-fairness=false --profiling=false
  wait_ready /readyz kube-apiserver 90
}

case "$cmd" in
start)
  bin="${FLEETCAP_K8S_BIN:-}"                  # a folder with the five binaries, else build/cache them
  [ -n "$bin" ] || bin="$("$root/scripts/k8s/build.sh")"
  if ours "$dir/pids/kube-apiserver.pid"; then echo "control-plane: already running in $dir" >&2; exit 0; fi
  mkdir -p "$dir/pki" "$dir/pids" "$dir/logs" "$dir/etcd"
  echo "$bin" >"$dir/bin.path"
  ( cd "$dir/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=fleetcap-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >san.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile san.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null )
  admin_token="$(openssl rand -hex 24)"; limited_token="$(openssl rand -hex 24)"
  echo "$admin_token" >"$dir/admin.token"
  printf '%s,admin,admin,system:masters\n%s,fleetcap-limited,fleetcap-limited\n' "$admin_token" "$limited_token" >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir/admin.token" "$dir/pki/"*.key
  free_port >"$dir/etcd.port"; free_port >"$dir/etcd-peer.port"; free_port >"$dir/apiserver.port"; free_port >"$dir/kwok.port"
  ec="$(cat "$dir/etcd.port")"; ep="$(cat "$dir/etcd-peer.port")"; ap="$(cat "$dir/apiserver.port")"
  ca_data="$(base64 -w0 "$dir/pki/ca.crt")"
  cat >"$dir/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: fleetcap-test
  cluster:
    server: https://127.0.0.1:$ap
    certificate-authority-data: $ca_data
users:
- name: admin
  user:
    token: $admin_token
- name: fleetcap-limited
  user:
    token: $limited_token
contexts:
- name: admin
  context: {cluster: fleetcap-test, user: admin, namespace: default}
- name: limited
  context: {cluster: fleetcap-test, user: fleetcap-limited, namespace: default}
current-context: admin
KC
  chmod 600 "$dir/kubeconfig"
  start_proc etcd "$bin/etcd" --name=n0 --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$ec" --advertise-client-urls="http://127.0.0.1:$ec" \
    --listen-peer-urls="http://127.0.0.1:$ep" --initial-advertise-peer-urls="http://127.0.0.1:$ep" \
    --initial-cluster="n0=http://127.0.0.1:$ep" --unsafe-no-fsync --listen-metrics-urls= --log-level=warn
  for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$ec/health" >/dev/null 2>&1 && break; sleep 0.2; done
  start_apiserver
  start_proc kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt" \
    --horizontal-pod-autoscaler-sync-period=2s --kube-api-qps=500 --kube-api-burst=1000 \
    --concurrent-deployment-syncs=20 --concurrent-replicaset-syncs=20 --concurrent-gc-syncs=50 \
    --controllers='*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller'
  start_proc kube-scheduler "$bin/kube-scheduler" --kubeconfig="$dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --kube-api-qps=500 --kube-api-burst=1000
  start_proc kwok "$bin/kwok" --kubeconfig="$dir/kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --cidr=10.0.0.0/16 --node-ip=10.0.0.1 \
    --server-address="127.0.0.1:$(cat "$dir/kwok.port")" --config="$bin/kwok-stages.yaml"
  # The default ServiceAccount appears once the controller-manager runs: pods need it.
  for i in $(seq 1 300); do
    api GET /api/v1/namespaces/default/serviceaccounts/default 2>/dev/null | grep -q '"kind": *"ServiceAccount"' && break
    sleep 0.2
  done
  owner="${3:-}"
  if [ -n "$owner" ]; then
    nohup setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop "$3"' \
      fleetcap-watchdog "$owner" "$root/scripts/k8s/control-plane.sh" "$dir" >/dev/null 2>&1 </dev/null &
    echo $! >"$dir/pids/watchdog.pid"
  fi
  echo "control-plane: up in $dir (https://127.0.0.1:$ap)" >&2
  ;;
stop)
  for p in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$p"; done
  # The watchdog, unless it is the one running this stop.
  wd="$(cat "$dir/pids/watchdog.pid" 2>/dev/null || true)"
  [ "$wd" = "$$" ] || [ "$wd" = "$PPID" ] || stop_proc watchdog
  rm -f "$dir/pids/watchdog.pid"
  ;;
stop-apiserver) stop_proc kube-apiserver ;;
start-apiserver) bin="$(cat "$dir/bin.path")"; start_apiserver ;;
env)
  echo "KUBECONFIG=$dir/kubeconfig"
  echo "FLEETCAP_TEST_APISERVER=https://127.0.0.1:$(cat "$dir/apiserver.port")"
  ;;
gpu-nodes)
  count="${3:?count}"; product="${4:?product}"; gpus="${5:?gpus per node}"; prefix="${6:-gpu-node}"
  for i in $(seq 0 $(( count - 1 ))); do
    name="$prefix-$i"
    api POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$name\",
      \"annotations\":{\"kwok.x-k8s.io/node\":\"fake\",\"node.alpha.kubernetes.io/ttl\":\"0\"},
      \"labels\":{\"type\":\"kwok\",\"kubernetes.io/hostname\":\"$name\",\"kubernetes.io/os\":\"linux\",
        \"nvidia.com/gpu.product\":\"$product\",\"nvidia.com/gpu.count\":\"$gpus\"}},
      \"status\":{\"capacity\":{\"cpu\":\"96\",\"memory\":\"1Ti\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"},
        \"allocatable\":{\"cpu\":\"96\",\"memory\":\"1Ti\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"},\"phase\":\"Running\"}}" >/dev/null
  done
  ;;
*) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
