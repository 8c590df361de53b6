#!/usr/bin/env bash
# Runs a benchmark against a local PostgreSQL (started, and installed with apt-get, when needed) in its own database.
#   tests/Benchmarks/run.sh room [--seconds 15] [--concurrency 200] [--rounds 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/lib/postgres.sh
lc_ensure_postgres
lc_create_database lc_bench lc_bench lc-bench-password
export LIVECOMMERCE_BENCH_POSTGRES="$(lc_connection_string lc_bench lc_bench lc-bench-password)"
dotnet run -c Release --project tests/Benchmarks -- "$@"
