"""The package's rooms: imports only go down the stages, through each subpackage's public face, in no circle.

Every import is read from the source (lazy ones inside functions and TYPE_CHECKING ones too),
so a circle that only closes at run time is caught as well. docs/architecture.md draws the
same order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kokoro_narrator

PACKAGE = Path(kokoro_narrator.__file__).parent
LAYERS = ("cli", "service", "web", "inbox", "jobs", "engines", "sync", "synthesis", "voices", "narration", "chapters", "books", "audio", "core")
"""Top to bottom: a subpackage may import only those after it."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) for every import of a kokoro_narrator module in a file, lazy ones included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("kokoro_narrator")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("kokoro_narrator"):
                target = node.module
            else:
                continue
            for alias in node.names:  # `from . import name` may name a module
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in known else target))
    return found


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def graph() -> dict[str, list[tuple[int, str]]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_every_subpackage_is_a_layer():
    folders = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert folders == set(LAYERS)
    assert {path.stem for path in PACKAGE.glob("*.py")} == {"__init__", "__main__"}


def test_imports_only_go_down_through_public_faces():
    wrong = []
    for name, edges in graph().items():
        here = layer_of(name)
        for line, target in edges:
            there = layer_of(target)
            if there is None or there == here:
                continue  # the package root (__version__), or a module of the same room
            where = f"{name}:{line} imports {target}"
            if here is not None and LAYERS.index(there) <= LAYERS.index(here):
                wrong.append(f"{where}: {there} is not below {here}")
            if target != f"kokoro_narrator.{there}":
                wrong.append(f"{where}: a private module; import it from kokoro_narrator.{there}")
    assert not wrong, "\n".join(wrong)


def test_faces_import_only_their_own_modules():
    for layer in LAYERS:
        name = f"kokoro_narrator.{layer}"
        for line, target in imports_of(name, PACKAGE / layer / "__init__.py", set(modules())):
            assert target.startswith(name + "."), f"{name}:{line} imports {target}"


def test_no_import_circle():
    edges = {name: sorted({target for _, target in found if target != name}) for name, found in graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in edges.get(name, ()):
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(target):] + [target]))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)


def test_the_checks_see_an_upward_import(tmp_path):
    """The parser finds a lazy import inside a function, relative to its subpackage."""
    path = tmp_path / "wav.py"
    path.write_text("def f():\n    from ..jobs import JobStore\n")
    assert imports_of("kokoro_narrator.audio.wav", path, set()) == [(2, "kokoro_narrator.jobs")]
    path.write_text("from . import join\nfrom .. import __version__\n")
    assert imports_of("kokoro_narrator.audio.wav", path, {"kokoro_narrator.audio.join"}) == [
        (1, "kokoro_narrator.audio.join"), (2, "kokoro_narrator")]
