# Shared shell functions: make sure a local PostgreSQL server runs, and create or drop databases on it.
# Sourced by tests/run-tests.sh and deploy/local-cluster.sh. Needs root (or sudo) to install or start it.

lc_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# Runs psql as the postgres superuser on the local server.
lc_psql_admin() { lc_sudo runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "${LC_PGPORT:-5432}" "$@"; }

# Installs PostgreSQL with apt-get when missing, starts the local cluster when stopped, waits until it answers.
lc_ensure_postgres() {
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "[postgres] not installed: installing with apt-get" >&2
    lc_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    lc_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  local line version name port status
  line=$(pg_lsclusters --no-header 2>/dev/null | head -n 1)
  if [ -z "$line" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    echo "[postgres] no cluster: creating $version/main" >&2
    lc_sudo pg_createcluster "$version" main >&2
    line=$(pg_lsclusters --no-header | head -n 1)
  fi
  read -r version name port status _ <<<"$line"
  export LC_PGPORT="$port"
  if [ "$status" != "online" ]; then
    echo "[postgres] starting cluster $version/$name on port $port" >&2
    lc_sudo pg_ctlcluster "$version" "$name" start >&2
  fi
  for _ in $(seq 1 60); do
    if lc_psql_admin -d postgres -c 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "[postgres] server did not answer within 60 s" >&2
  return 1
}

# lc_create_database NAME USER PASSWORD: (re)creates a login role and a database it owns.
lc_create_database() {
  local db="$1" user="$2" password="$3"
  lc_psql_admin -d postgres <<SQL >&2
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE "$user" LOGIN PASSWORD '$password';
  ELSE
    ALTER ROLE "$user" LOGIN PASSWORD '$password';
  END IF;
END \$\$;
SQL
  if ! lc_psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    lc_psql_admin -d postgres -c "CREATE DATABASE \"$db\" OWNER \"$user\"" >&2
  fi
}

lc_drop_database() {
  lc_psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >&2
}

lc_connection_string() {
  local db="$1" user="$2" password="$3"
  # Loopback: no TLS (Debian enables it by default; encrypting a local socket costs CPU for nothing).
  echo "Host=127.0.0.1;Port=${LC_PGPORT:-5432};Database=$db;Username=$user;Password=$password;SSL Mode=Disable;No Reset On Close=true;Max Auto Prepare=32"
}
