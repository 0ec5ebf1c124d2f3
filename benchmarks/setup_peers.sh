#!/usr/bin/env bash
# Create the separate environment the onset benchmark runs its peers in (NeuroKit2, BioSPPy).
#
# The peers are a benchmark extra, never a glutesense dependency: their pins (NeuroKit2 and BioSPPy
# bring their own pandas/scipy/matplotlib requirements) must not touch the project's environment, so
# they live in benchmarks/.venv-peers and run in a subprocess on recordings saved as .npz.
#
# Usage: bash benchmarks/setup_peers.sh [PYTHON]      (default: python3)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-peers"
py="${1:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "neurokit2>=0.2.10" "biosppy>=2.2" peakutils
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("neurokit2", "biosppy", "numpy", "scipy", "pandas"):
    print(f"{name}=={md.version(name)}")
PY
