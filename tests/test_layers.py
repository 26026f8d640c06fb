"""The layering of albumtag/ and trainer/ (docs/architecture.md), checked on the import graph.

Every module under albumtag/ and trainer/ is parsed with ``ast``, and every import counts: at
module level, inside functions, under ``if TYPE_CHECKING:``, and ``importlib.import_module``
with a literal name. Each failure names the file, the line and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# albumtag's layers, lowest first. A module may import its own layer and the layers below it,
# never one above. (io, library and runtime do not import each other today; gui and evaluation
# neither.)
LAYERS: tuple[tuple[str, ...], ...] = (
    ("albumtag", "albumtag.paths", "albumtag.io", "albumtag.library", "albumtag.runtime"),
    ("albumtag.vision",),  # detect, align
    ("albumtag.embed",),  # the ONNX descriptors
    ("albumtag.recognize",),  # classifiers, clustering, open-set acceptance
    ("albumtag.app", "albumtag.cli_progress"),  # services, the import pipeline; its terminal progress
    ("albumtag.gui", "albumtag.evaluation"),  # the desktop app; the benchmark harness (it drives the importer)
    ("albumtag.cli", "albumtag.__main__"),  # the `albumtag` command: opens the GUI or runs an app service
)
# The entry points, the only modules outside albumtag/gui that may import the GUI (``albumtag gui``).
ENTRY_POINTS = set(LAYERS[-1])
GUI = ("albumtag.gui", "PySide6", "shiboken6")
# The trainer runs beside the app (``python -m trainer``, started as a process by app.training),
# and may use every albumtag layer below the app, and the evaluation harness's measures.
TRAINER_MAY_NOT_IMPORT = ("albumtag.app", "albumtag.cli_progress", "albumtag.gui", "albumtag.cli",
                          "albumtag.__main__")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    path: Path
    line: int
    target: str  # the imported module (or, for ``from X import name`` with no module X.name, X)

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.module} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _sources() -> dict[str, Path]:
    return {_module_name(path): path for top in ("albumtag", "trainer") for path in sorted((ROOT / top).rglob("*.py"))}


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imports_of(module: str, path: Path) -> Iterator[Import]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(module, path, node.lineno, submodule if submodule in _sources() else base)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield Import(module, path, node.lineno, node.args[0].value)


@cache
def _graph() -> tuple[Import, ...]:
    return tuple(found for module, path in _sources().items() for found in _imports_of(module, path))


def _layer(module: str) -> int:
    """The index in LAYERS of an albumtag module (the longest matching entry wins)."""
    matches = [(len(entry), index) for index, layer in enumerate(LAYERS) for entry in layer if _is_within(module, entry)
               and (entry != "albumtag" or module == "albumtag")]
    assert matches, f"{module} is in no layer: add it to LAYERS in tests/test_layers.py and docs/architecture.md"
    return max(matches)[1]


def _albumtag_imports() -> list[Import]:
    return [found for found in _graph()
            if _is_within(found.module, "albumtag") and _is_within(found.target, "albumtag")]


def test_every_albumtag_module_has_a_layer() -> None:
    for module in _sources():
        if _is_within(module, "albumtag"):
            _layer(module)


def test_albumtag_imports_only_its_own_layer_or_lower_ones() -> None:
    upward = [f"{found}  (layer {_layer(found.module)} imports layer {_layer(found.target)})"
              for found in _albumtag_imports() if _layer(found.target) > _layer(found.module)]
    assert not upward, "imports against the layering (tests/test_layers.py LAYERS):\n" + "\n".join(upward)


def test_only_the_gui_imports_qt_or_the_gui() -> None:
    outside = [str(found) for found in _graph()
               if any(_is_within(found.target, gui) for gui in GUI)
               and not _is_within(found.module, "albumtag.gui") and found.module not in ENTRY_POINTS]
    assert not outside, "only albumtag/gui (and the albumtag command) may import Qt or the GUI:\n" + "\n".join(outside)


def test_the_trainer_does_not_import_the_app_or_the_gui() -> None:
    direct = [str(found) for found in _graph() if _is_within(found.module, "trainer")
              and any(_is_within(found.target, banned) for banned in TRAINER_MAY_NOT_IMPORT + GUI)]
    assert not direct, "the trainer imports the app or the GUI:\n" + "\n".join(direct)


def test_the_trainer_does_not_reach_the_app_through_albumtag() -> None:
    """Also not indirectly: follow every import from trainer/ through albumtag's modules (the
    evaluation harness is the one layer above the app the trainer may use)."""
    edges: dict[str, list[Import]] = {}
    for found in _graph():
        edges.setdefault(found.module, []).append(found)
    route: dict[str, Import] = {}
    todo = [module for module in _sources() if _is_within(module, "trainer")]
    while todo:
        for found in edges.get(todo.pop(), []):
            for target in _with_parent_packages(found.target):
                if target in _sources() and target not in route and not _is_within(target, "trainer"):
                    route[target] = found
                    todo.append(target)
    def banned(module: str) -> bool:
        return any(_is_within(module, name) for name in TRAINER_MAY_NOT_IMPORT)

    entries = sorted(module for module in route if banned(module) and not banned(route[module].module))
    assert not entries, "the trainer reaches the app through albumtag:\n" + "\n".join(
        " <- ".join(str(step) for step in _route_back(module, route)) for module in entries)


def _with_parent_packages(module: str) -> list[str]:
    """Importing a.b.c runs a/__init__.py and a/b/__init__.py first."""
    parts = module.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts) + 1)]


def _route_back(module: str, route: dict[str, Import]) -> list[Import]:
    steps = []
    while module in route and len(steps) < 20:
        steps.append(route[module])
        module = route[module].module
    return steps


def test_albumtag_never_imports_the_trainer() -> None:
    """The trainer is an optional extra that the app starts as a process (app.training)."""
    found = [str(found) for found in _graph()
             if _is_within(found.module, "albumtag") and _is_within(found.target, "trainer")]
    assert not found, "albumtag imports the trainer:\n" + "\n".join(found)
