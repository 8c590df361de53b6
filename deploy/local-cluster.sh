#!/usr/bin/env bash
# A local cluster on this machine: PostgreSQL + N silos + the front door, all on loopback.
#
#   deploy/local-cluster.sh up [--silos N] [--apis M] [--api-port P]
#                                                            start PostgreSQL if needed, create the database,
#                                                            apply the schema, start N silos and M front doors (ports
#                                                            P, P+1, ...; default 1), wait until ready
#   deploy/local-cluster.sh down [--purge]                   stop everything (--purge also drops the database)
#   deploy/local-cluster.sh status                           processes and readiness
#   deploy/local-cluster.sh token SUBJECT ROLE               print a signed token (the postgres profile has no
#                                                            development token endpoint)
#   deploy/local-cluster.sh kill-silo I | start-silo I       SIGKILL / start silo I (failover drills)
#   deploy/local-cluster.sh restart-silo I                   SIGTERM silo I, wait until it has left, start it again
#   deploy/local-cluster.sh kill-api I | start-api I         SIGKILL / start front door I
#
# State (pids, logs, the generated signing key, callback secret and database password, and the throwaway certificate
# authority with one certificate per process in tls/) lives in .local/cluster/. Outside the embedded profile the hosts
# refuse default or placeholder secrets, so these generated ones are required.
# Silos and the front door talk over mutual TLS (LiveCommerce:ClusterTls). LC_CLUSTER_TLS=off runs the cluster without
# it (accepted only because every silo listens on loopback; logged as a warning), to measure what TLS costs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/deploy/lib/postgres.sh"
state="${LC_CLUSTER_DIR:-$root/.local/cluster}"
mkdir -p "$state"

db="${LC_DATABASE:-livecommerce}"
db_user="${LC_DATABASE_USER:-livecommerce}"
base_silo_port="${LC_BASE_SILO_PORT:-11111}"
base_gateway_port="${LC_BASE_GATEWAY_PORT:-30000}"
configuration="${LC_CONFIGURATION:-Release}"
silo_dll="$root/src/Silo/bin/$configuration/net10.0/LiveCommerce.Silo.dll"
api_dll="$root/src/Api/bin/$configuration/net10.0/LiveCommerce.Api.dll"

secret() { # secret NAME: a random value generated once and kept in the state folder
  local file="$state/$1"
  [ -s "$file" ] || (umask 077; openssl rand -hex 32 >"$file")
  cat "$file"
}

tls_dir="$state/tls"
cluster_tls="${LC_CLUSTER_TLS:-on}"
case "$cluster_tls" in on|off) ;; *) echo "LC_CLUSTER_TLS must be on or off, not '$cluster_tls'" >&2; exit 2 ;; esac

tls_authority() { # the cluster's throwaway certificate authority, created once (EC P-256, 30 days)
  [ -s "$tls_dir/ca.key" ] && [ -s "$tls_dir/ca.crt" ] && openssl x509 -checkend 86400 -noout -in "$tls_dir/ca.crt" >/dev/null && return
  mkdir -p "$tls_dir"
  rm -f "$tls_dir"/*.crt "$tls_dir"/*.key   # certificates of an older authority are worthless now
  (umask 077; openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/O=LiveCommerce local cluster/CN=livecommerce-local-ca-$(openssl rand -hex 4)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null)
}

tls_certificate() { # tls_certificate NAME USAGES: NAME.crt + NAME.key issued by the cluster authority, kept while valid
  local name="$1" usages="$2"
  tls_authority
  [ -s "$tls_dir/$name.key" ] && [ -s "$tls_dir/$name.crt" ] && openssl x509 -checkend 86400 -noout -in "$tls_dir/$name.crt" >/dev/null && return
  (umask 077
   openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=LiveCommerce local cluster/CN=$name" \
     -keyout "$tls_dir/$name.key" -out "$tls_dir/$name.csr" 2>/dev/null
   printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' "$usages" >"$tls_dir/$name.ext"
   openssl x509 -req -in "$tls_dir/$name.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
     -days 29 -sha256 -extfile "$tls_dir/$name.ext" -out "$tls_dir/$name.crt" 2>/dev/null
   rm -f "$tls_dir/$name.csr" "$tls_dir/$name.ext")
}

tls_env() { # tls_env NAME USAGES: this process's LiveCommerce:ClusterTls settings
  if [ "$cluster_tls" = off ]; then
    export LiveCommerce__ClusterTls__Enabled=false
    return
  fi
  tls_certificate "$1" "$2"
  export LiveCommerce__ClusterTls__Enabled=true
  export LiveCommerce__ClusterTls__CertificatePath="$tls_dir/$1.crt"
  export LiveCommerce__ClusterTls__KeyPath="$tls_dir/$1.key"
  export LiveCommerce__ClusterTls__CaCertificatePath="$tls_dir/ca.crt"
}

common_env() {
  export LiveCommerce__Profile=Postgres
  export LiveCommerce__ClusterId="${LC_CLUSTER_ID:-livecommerce-local}"
  export LiveCommerce__ServiceId="${LC_SERVICE_ID:-livecommerce}"
  export LiveCommerce__Postgres__ConnectionString="$(lc_connection_string "$db" "$db_user" "$(secret db.password)")"
  export LiveCommerce__Postgres__MaxPoolSize="${LC_MAX_POOL_SIZE:-20}"
  # Silo and gateway ports on loopback only: nothing off this machine can reach them.
  export LiveCommerce__Silo__AdvertisedAddress=127.0.0.1 LiveCommerce__Silo__ListenAddress=127.0.0.1
  export LiveCommerce__Auth__SigningKey="$(secret jwt.key)"
  export LiveCommerce__Payments__Sandbox__CallbackSecret="$(secret callback.secret)"
  export LiveCommerce__Logistics__Sandbox__CallbackSecret="$(secret logistics.secret)"
  # RSA key that signs apps' OAuth tokens (generated once, kept with the other secrets).
  [ -s "$state/oauth.key.pem" ] || (umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$state/oauth.key.pem" 2>/dev/null)
  export LiveCommerce__OAuth__SigningKeyPath="$state/oauth.key.pem"
  export LiveCommerce__Payments__Sandbox__CallbackUrl="http://127.0.0.1:$(cat "$state/api.port" 2>/dev/null || echo 5080)/v1/payments/callbacks/sandbox"
  # The load generator stands in for a load balancer on this machine: it may say who the client is.
  export LiveCommerce__Api__TrustedProxies__0=127.0.0.1
  # LC_WEBHOOKS_ALLOW_PRIVATE=true lets webhooks target http on loopback and private addresses, which the load
  # generator's --webhooks receiver (127.0.0.1) needs. Off by default: it lifts the whole SSRF guard (private ranges,
  # link-local metadata addresses), so only for a cluster on a machine with nothing else to reach.
  export LiveCommerce__Webhooks__AllowPrivateTargets="${LC_WEBHOOKS_ALLOW_PRIVATE:-false}"
  export LiveCommerce__Dashboard="${LC_DASHBOARD:-true}"
  export DOTNET_gcServer="${LC_GC_SERVER:-1}"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_silo() {
  local i="$1"
  if alive "$state/silo-$i.pid"; then echo "silo $i already runs (pid $(cat "$state/silo-$i.pid"))"; return; fi
  common_env
  tls_env "silo-$i" serverAuth,clientAuth
  LiveCommerce__Silo__SiloPort=$((base_silo_port + i)) \
  LiveCommerce__Silo__GatewayPort=$((base_gateway_port + i)) \
    nohup dotnet "$silo_dll" >"$state/silo-$i.log" 2>&1 &
  echo $! >"$state/silo-$i.pid"
  echo "silo $i: pid $!, silo port $((base_silo_port + i)), gateway port $((base_gateway_port + i))"
}

api_pid_file() { if [ "$1" -eq 0 ]; then echo "$state/api.pid"; else echo "$state/api-$1.pid"; fi; }
api_log_file() { if [ "$1" -eq 0 ]; then echo "$state/api.log"; else echo "$state/api-$1.log"; fi; }

start_api() { # start_api I: front door I listens on the first front door's port + I
  local i="$1" base port pid_file
  base="$(cat "$state/api.port" 2>/dev/null || echo "${LC_API_PORT:-5080}")"
  port=$((base + i)); pid_file="$(api_pid_file "$i")"
  if alive "$pid_file"; then echo "front door $i already runs (pid $(cat "$pid_file"))"; return; fi
  common_env
  tls_env "api-$i" clientAuth
  # --urls: the command line outranks the "Urls" of appsettings.json.
  nohup dotnet "$api_dll" --urls "http://127.0.0.1:$port" >"$(api_log_file "$i")" 2>&1 &
  echo $! >"$pid_file"
  echo "front door $i: pid $!, http://127.0.0.1:$port"
}

stop_pid_file() { # graceful stop, then SIGKILL after 20 s
  local file="$1"
  alive "$file" || { rm -f "$file"; return; }
  local pid; pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

wait_ready() { # wait_ready PORT SILOS
  local port="$1" silos="$2" body=""
  for _ in $(seq 1 120); do
    body="$(curl -s "http://127.0.0.1:$port/health/ready" || true)"
    if grep -q "\"status\":\"Healthy\"" <<<"$body" && grep -q "$silos active silo" <<<"$body"; then
      echo "ready: $body"; return 0
    fi
    sleep 1
  done
  echo "not ready after 120 s: $body" >&2
  return 1
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

token() { # token SUBJECT ROLE: HS256 JWT accepted by the front door of this cluster
  local subject="$1" role="$2" now header payload signature
  now=$(date +%s)
  header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
  payload=$(printf '{"sub":"%s","role":"%s","iss":"livecommerce","aud":"livecommerce-api","iat":%d,"nbf":%d,"exp":%d}' \
    "$subject" "$role" "$now" "$now" $((now + 8 * 3600)) | b64url)
  signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -mac HMAC -macopt "key:$(secret jwt.key)" -binary | b64url)
  echo "$header.$payload.$signature"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  up)
    silos=2; apis=1; api_port="${LC_API_PORT:-5080}"
    while [ $# -gt 0 ]; do
      case "$1" in
        --silos) silos="$2"; shift 2 ;;
        --apis) apis="$2"; shift 2 ;;
        --api-port) api_port="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
      esac
    done
    lc_ensure_postgres
    lc_create_database "$db" "$db_user" "$(secret db.password)"
    if [ "${LC_SKIP_BUILD:-0}" != 1 ]; then
      dotnet build "$root/src/Silo" -c "$configuration" -nologo -v q
      dotnet build "$root/src/Api" -c "$configuration" -nologo -v q
    fi
    echo "$api_port" >"$state/api.port"
    # The load generator finds the front door and the database of this cluster here.
    (umask 077; lc_connection_string "$db" "$db_user" "$(secret db.password)" >"$state/db.connection")
    (common_env; dotnet "$silo_dll" migrate)
    echo "$silos" >"$state/silos"
    for i in $(seq 0 $((silos - 1))); do start_silo "$i"; done
    # The load generator round-robins over the front doors listed here, as a load balancer would.
    seq "$api_port" $((api_port + apis - 1)) >"$state/api.ports"
    for i in $(seq 0 $((apis - 1))); do start_api "$i"; done
    for i in $(seq 0 $((apis - 1))); do wait_ready $((api_port + i)) "$silos"; done
    ;;
  down)
    for f in "$state"/api.pid "$state"/api-*.pid "$state"/silo-*.pid; do [ -e "$f" ] && stop_pid_file "$f"; done
    if [ "${1:-}" = "--purge" ]; then lc_ensure_postgres; lc_drop_database "$db"; rm -f "$state"/db.password; rm -rf "$tls_dir"; fi
    echo "stopped"
    ;;
  status)
    for f in "$state"/silo-*.pid "$state"/api.pid "$state"/api-*.pid; do
      [ -e "$f" ] || continue
      if alive "$f"; then echo "$(basename "$f" .pid): running (pid $(cat "$f"))"; else echo "$(basename "$f" .pid): stopped"; fi
    done
    port="$(cat "$state/api.port" 2>/dev/null || echo 5080)"
    curl -s "http://127.0.0.1:$port/health/ready" || echo "front door not reachable"
    echo
    ;;
  token) token "$1" "$2" ;;
  kill-silo) alive "$state/silo-$1.pid" && kill -KILL "$(cat "$state/silo-$1.pid")"; rm -f "$state/silo-$1.pid"; echo "silo $1 killed" ;;
  start-silo) start_silo "$1" ;;
  restart-silo) # graceful: the silo deactivates its grains, flushes and leaves the membership table before it exits
    f="$state/silo-$1.pid"
    if alive "$f"; then
      pid="$(cat "$f")"; kill -TERM "$pid"
      for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      if kill -0 "$pid" 2>/dev/null; then echo "silo $1 still running 60 s after SIGTERM" >&2; exit 1; fi
      rm -f "$f"; echo "silo $1 stopped"
    fi
    start_silo "$1" ;;
  kill-api) f="$(api_pid_file "$1")"; alive "$f" && kill -KILL "$(cat "$f")"; rm -f "$f"; echo "front door $1 killed" ;;
  start-api) start_api "$1" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
