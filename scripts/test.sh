#!/usr/bin/env bash
# Runs every test: unit, integration, and the lab/browser tests.
# As root it first installs the Debian packages the lab and browser tests use (scripts/install-prereqs.sh).
# Without root or packages those tests skip with the reason printed; with CI=true they fail instead.
# The last line is the total over every test project: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = "0" ]; then
  bash scripts/install-prereqs.sh || { echo "prerequisite install failed"; [ "${CI:-}" = "true" ] && exit 1; }
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build Inroad.sln -c Release -warnaserror -nologo -clp:ErrorsOnly || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# dotnet test runs up to one test project per core at a time (two on CI's machine), and xunit runs up to one
# test class per core inside each; lab tests serialize themselves through a machine-wide lock.
dotnet test Inroad.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" --blame-hang-timeout 10m \
  -- RunConfiguration.TestSessionTimeout=2400000
status=$?

python3 scripts/summarize-trx.py "$results"
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ] && exit 0
exit 1
