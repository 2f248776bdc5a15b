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
# Metrics pipeline (opt-in, for HPA tests): FLEETCAP_K8S_METRICS=1 at `start` also starts metrics-server
# (metrics.k8s.io, scraping KWOK's emulated kubelet resource metrics; pod usage comes from KWOK
# ClusterResourceUsage objects) and tools/metrics-adapter (custom.metrics.k8s.io, external.metrics.k8s.io;
# values set with PUT http://127.0.0.1:$(cat DIR/metrics-adapter.values-port)/values/...), both registered as
# APIServices (built and cached by scripts/k8s/build-metrics.sh). FLEETCAP_K8S_METRICS=custom starts the
# adapter alone (custom and external metrics; no metrics.k8s.io). FLEETCAP_K8S_HPA_SYNC_PERIOD (default 2s)
# sets --horizontal-pod-autoscaler-sync-period; FLEETCAP_K8S_FEATURE_GATES (e.g. HPAConfigurableTolerance=true)
# is passed to kube-apiserver and kube-controller-manager. FLEETCAP_K8S_NODE_GRACE (default 10m) sets
# --node-monitor-grace-period.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2; }
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

# KWOK exits (status 1, "Failed to run server") when its server port was taken between free_port
# and its bind, by another test's process or control plane; then no pod ever becomes Ready, silently
# (CI: "deployments not ready after 120 s (2/50)"). So wait for its /healthz, and on a dead KWOK
# start it again on a new port.
start_kwok() {
  local try i port
  for try in 1 2 3 4 5; do
    port="$(cat "$dir/kwok.port")"
    start_proc kwok "$bin/kwok" --kubeconfig="$dir/kubeconfig" --manage-all-nodes=false \
      --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --cidr=10.0.0.0/16 --node-ip=10.0.0.1 \
      --server-address="127.0.0.1:$port" --config="$bin/kwok-stages.yaml" $(cat "$dir/kwok.extra-args" 2>/dev/null || true)
    for i in $(seq 1 150); do
      [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null)" = ok ] && return 0
      ours "$dir/pids/kwok.pid" || break
      sleep 0.2
    done
    echo "control-plane: kwok not serving on port $port (try $try); starting it on another" >&2
    stop_proc kwok
    cp "$dir/logs/kwok.log" "$dir/logs/kwok.try$try.log" 2>/dev/null || true
    free_port >"$dir/kwok.port"
  done
  echo "control-plane: kwok did not start; logs in $dir/logs" >&2
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
    --enable-priority-and-fairness=false --profiling=false $(cat "$dir/apiserver.extra-args" 2>/dev/null || true)
  wait_ready /readyz kube-apiserver 90
}

# --- metrics pipeline (FLEETCAP_K8S_METRICS=1) ---------------------------------------------------
# Before kube-apiserver starts: build (cached), certificates (a front-proxy CA and client for the
# aggregation layer, a serving certificate for the two metrics servers), API server and KWOK flags.
metrics_setup() {
  mbin="$("$root/scripts/k8s/build-metrics.sh" adapter)"
  echo "$mbin" >"$dir/metrics-bin.path"
  if [ "$FLEETCAP_K8S_METRICS" != custom ]; then "$root/scripts/k8s/build-metrics.sh" metrics-server >"$dir/metrics-server-bin.path"; fi
  ( cd "$dir/pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 2 -subj /CN=fleetcap-front-proxy-ca 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr -subj /CN=front-proxy-client 2>/dev/null
    openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial -out front-proxy-client.crt -days 2 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout metrics.key -out metrics.csr -subj /CN=localhost 2>/dev/null
    # The aggregation layer checks the name <service>.<namespace>.svc of each APIService's Service.
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:metrics-server.kube-system.svc,DNS:metrics-adapter.kube-system.svc\n' >metrics-san.ext
    openssl x509 -req -in metrics.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out metrics.crt -days 2 -extfile metrics-san.ext 2>/dev/null
    chmod 600 ./*.key )
  free_port >"$dir/metrics-server.port"; free_port >"$dir/metrics-adapter.port"
  # The aggregation layer reaches each APIService through an ExternalName Service `localhost` (Endpoints may not
  # hold loopback addresses, so --enable-aggregator-routing cannot route to 127.0.0.1).
  cat >>"$dir/apiserver.extra-args" <<ARGS
--requestheader-client-ca-file=$dir/pki/front-proxy-ca.crt --requestheader-allowed-names=front-proxy-client
--requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group
--requestheader-extra-headers-prefix=X-Remote-Extra- --proxy-client-cert-file=$dir/pki/front-proxy-client.crt
--proxy-client-key-file=$dir/pki/front-proxy-client.key
ARGS
  # KWOK serves each node's kubelet /metrics/resource (its Metric object) on its own port, which the nodes
  # advertise (daemonEndpoints) at 127.0.0.1; pod usage comes from ClusterResourceUsage objects (a CRD).
  echo "--node-ip=127.0.0.1 --node-port=$(cat "$dir/kwok.port") --enable-crds=ClusterResourceUsage --config=$mbin/kwok-metrics-resource.yaml" >"$dir/kwok.extra-args"
}

api_yaml() { # METHOD PATH FILE
  curl -sS --max-time 10 --cacert "$dir/pki/ca.crt" -H "Authorization: Bearer $(cat "$dir/admin.token")" \
    -H 'Content-Type: application/yaml' -X "$1" "https://127.0.0.1:$(cat "$dir/apiserver.port")$2" --data-binary "@$3"
}

# After the control plane is up: the CRD, the two servers, their Services and APIServices; waits until available.
metrics_start() {
  local mbin ca_bundle ms ma g i
  mbin="$(cat "$dir/metrics-bin.path")"
  ms="$(cat "$dir/metrics-server.port")"; ma="$(cat "$dir/metrics-adapter.port")"
  local common=(--bind-address=127.0.0.1 --tls-cert-file="$dir/pki/metrics.crt" --tls-private-key-file="$dir/pki/metrics.key"
    --authentication-kubeconfig="$dir/kubeconfig" --authorization-kubeconfig="$dir/kubeconfig")
  [ ! -s "$dir/metrics-server-bin.path" ] || start_proc metrics-server "$(cat "$dir/metrics-server-bin.path")/metrics-server" --secure-port="$ms" "${common[@]}" --kubeconfig="$dir/kubeconfig" \
    --kubelet-insecure-tls --kubelet-use-node-status-port --kubelet-preferred-address-types=InternalIP \
    --metric-resolution="${FLEETCAP_K8S_METRIC_RESOLUTION:-10s}" --kubelet-request-timeout=5s
  start_proc metrics-adapter "$mbin/metrics-adapter" --secure-port="$ma" "${common[@]}" --lister-kubeconfig="$dir/kubeconfig" \
    --values-port-file="$dir/metrics-adapter.values-port"
  ca_bundle="$(base64 -w0 "$dir/pki/ca.crt")"
  local groups=("custom.metrics.k8s.io v1beta2 metrics-adapter $ma" "custom.metrics.k8s.io v1beta1 metrics-adapter $ma"
    "external.metrics.k8s.io v1beta1 metrics-adapter $ma") available=(v1beta2.custom.metrics.k8s.io v1beta1.external.metrics.k8s.io)
  if [ -s "$dir/metrics-server-bin.path" ]; then groups+=("metrics.k8s.io v1beta1 metrics-server $ms"); available+=(v1beta1.metrics.k8s.io); fi
  for g in "${groups[@]}"; do
    set -- $g
    api POST /api/v1/namespaces/kube-system/services "{\"apiVersion\":\"v1\",\"kind\":\"Service\",
      \"metadata\":{\"name\":\"$3\"},\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"localhost\"}}" >/dev/null
    api POST /apis/apiregistration.k8s.io/v1/apiservices "{\"apiVersion\":\"apiregistration.k8s.io/v1\",
      \"kind\":\"APIService\",\"metadata\":{\"name\":\"$2.$1\"},\"spec\":{\"group\":\"$1\",\"version\":\"$2\",
      \"service\":{\"namespace\":\"kube-system\",\"name\":\"$3\",\"port\":$4},\"caBundle\":\"$ca_bundle\",
      \"groupPriorityMinimum\":100,\"versionPriority\":$([ "$2" = v1beta2 ] && echo 200 || echo 100)}}" >/dev/null
  done
  for g in "${available[@]}"; do
    for i in $(seq 1 300); do
      api GET "/apis/apiregistration.k8s.io/v1/apiservices/$g" 2>/dev/null | tr -d ' \n' \
        | grep -q '"type":"Available","status":"True"' && break
      [ "$i" = 300 ] && { echo "control-plane: APIService $g not available after 60 s; logs in $dir/logs" >&2; return 1; }
      sleep 0.2
    done
  done
  for i in $(seq 1 100); do [ -s "$dir/metrics-adapter.values-port" ] && break; sleep 0.1; done
}

case "$cmd" in
start)
  bin="${FLEETCAP_K8S_BIN:-}"                  # a folder with the five binaries, else build/cache them
  [ -n "$bin" ] || bin="$("$root/scripts/k8s/build.sh")"
  if ours "$dir/pids/kube-apiserver.pid"; then echo "control-plane: already running in $dir" >&2; exit 0; fi
  mkdir -p "$dir/pki" "$dir/pids" "$dir/logs" "$dir/etcd"
  echo "$bin" >"$dir/bin.path"
  # P-256 keys, not RSA: a 2048-bit RSA key costs ~0.3 CPU-s to generate, and a start made three
  # (five with the metrics pipeline) for each test file's cluster.
  ( cd "$dir/pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=fleetcap-test-ca 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >san.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 2 -extfile san.ext 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key 2>/dev/null
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null )
  admin_token="$(openssl rand -hex 24)"; limited_token="$(openssl rand -hex 24)"
  echo "$admin_token" >"$dir/admin.token"
  printf '%s,admin,admin,system:masters\n%s,fleetcap-limited,fleetcap-limited\n' "$admin_token" "$limited_token" >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir/admin.token" "$dir/pki/"*.key
  free_port >"$dir/etcd.port"; free_port >"$dir/etcd-peer.port"; free_port >"$dir/apiserver.port"; free_port >"$dir/kwok.port"
  ec="$(cat "$dir/etcd.port")"; ep="$(cat "$dir/etcd-peer.port")"; ap="$(cat "$dir/apiserver.port")"
  ca_data="$(base64 -w0 "$dir/pki/ca.crt")"
  : >"$dir/apiserver.extra-args"
  gates="${FLEETCAP_K8S_FEATURE_GATES:-}"
  [ -z "$gates" ] || echo "--feature-gates=$gates" >>"$dir/apiserver.extra-args"
  case "${FLEETCAP_K8S_METRICS:-0}" in 1|custom) metrics_setup ;; esac
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
  if [ -s "$dir/metrics-bin.path" ]; then  # KWOK watches ClusterResourceUsage from its start
    api_yaml POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$(cat "$dir/metrics-bin.path")/kwok-clusterresourceusages-crd.yaml" >/dev/null
  fi
  # --node-monitor-grace-period: KWOK's heartbeat stage posts node status every 20-45 s against the
  # default 50 s grace; one late heartbeat on a loaded machine and the node lifecycle controller marks
  # every pod on the node NotReady, and KWOK's pod-ready stage (Pending pods only) never readies them
  # again (seen as "timed out waiting for 4 ready pods"). No test exercises node-health detection.
  start_proc kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$dir/pki/sa.key" --root-ca-file="$dir/pki/ca.crt" \
    --horizontal-pod-autoscaler-sync-period="${FLEETCAP_K8S_HPA_SYNC_PERIOD:-2s}" ${gates:+--feature-gates="$gates"} --kube-api-qps=500 --kube-api-burst=1000 \
    --concurrent-deployment-syncs=20 --concurrent-replicaset-syncs=20 --concurrent-gc-syncs=50 \
    --node-monitor-grace-period="${FLEETCAP_K8S_NODE_GRACE:-10m}" --controllers='*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller'
  start_proc kube-scheduler "$bin/kube-scheduler" --kubeconfig="$dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --kube-api-qps=500 --kube-api-burst=1000
  start_kwok
  # The default ServiceAccount appears once the controller-manager runs: pods need it.
  for i in $(seq 1 300); do
    api GET /api/v1/namespaces/default/serviceaccounts/default 2>/dev/null | grep -q '"kind": *"ServiceAccount"' && break
    sleep 0.2
  done
  if [ -s "$dir/metrics-bin.path" ]; then metrics_start; fi
  owner="${3:-}"
  if [ -n "$owner" ]; then
    nohup setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop "$3"' \
      fleetcap-watchdog "$owner" "$root/scripts/k8s/control-plane.sh" "$dir" >/dev/null 2>&1 </dev/null &
    echo $! >"$dir/pids/watchdog.pid"
  fi
  echo "control-plane: up in $dir (https://127.0.0.1:$ap)" >&2
  ;;
stop)
  # Each process takes ~2 s to exit on SIGTERM: stopped one by one that was ~11 s per test file, so
  # they are all signalled at once and waited for together (the same TERM, then KILL after 10 s).
  for p in metrics-adapter metrics-server kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$p" & done
  wait
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
      \"annotations\":{\"kwok.x-k8s.io/node\":\"fake\",\"node.alpha.kubernetes.io/ttl\":\"0\",
        \"metrics.k8s.io/resource-metrics-path\":\"/metrics/nodes/$name/metrics/resource\"},
      \"labels\":{\"type\":\"kwok\",\"kubernetes.io/hostname\":\"$name\",\"kubernetes.io/os\":\"linux\",
        \"nvidia.com/gpu.product\":\"$product\",\"nvidia.com/gpu.count\":\"$gpus\"}},
      \"status\":{\"capacity\":{\"cpu\":\"96\",\"memory\":\"1Ti\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"},
        \"allocatable\":{\"cpu\":\"96\",\"memory\":\"1Ti\",\"pods\":\"110\",\"nvidia.com/gpu\":\"$gpus\"},\"phase\":\"Running\"}}" >/dev/null
  done
  ;;
*) sed -n '2,/^[^#]/{/^#/p}' "$0" >&2; exit 2 ;;
esac
