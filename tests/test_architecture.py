"""The layers of the package (docs/architecture.md): imports run one way, with no cycle.

Every ``import`` in every module counts, including those inside functions: a lazy import is
still a dependency. Imports under ``if TYPE_CHECKING:`` are the only exception (they never run).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "klmodels"

LAYERS: list[tuple[str, set[str]]] = [
    (
        "core",
        {
            "errors",
            "frozen",
            "checks",
            "protocols",
            "mixture",
            "statistics",
            "optimize",
            "information",
            "entropy_estimators",
        },
    ),
    ("data", {"data", "tablefile", "display", "options"}),
    (
        "families",
        {
            "family",
            "family.base",
            "family.generic",
            "family.continuous",
            "family.discrete",
            "family.registry",
            "family.strategy",
            "family.inflated",
            "family.finite",
        },
    ),
    ("fitting", {"fitting", "divergence"}),
    ("comparison", {"paired", "censored", "goodness", "selection", "uncertainty"}),
    ("integrations", {"scaleout", "plotting", "bayes", "psis", "subsample"}),
    ("front doors", {"accessor", "cli", "reporting", ""}),  # "" is the package itself
]
LAYER_OF = {module: rank for rank, (_, modules) in enumerate(LAYERS) for module in modules}
CORE_MAY_IMPORT = {"numpy", "scipy", "threadpoolctl"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _imports(tree: ast.AST, package: str) -> tuple[set[str], set[str]]:
    """The klmodels modules (relative names) and the other top-level packages a module imports."""
    ours: set[str] = set()
    theirs: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking(node):
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(
                    ["klmodels", *[p for p in base if p], *([node.module] if node.module else [])]
                )
            else:
                module = node.module or ""
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        for name in names:
            if name == "klmodels" or name.startswith("klmodels."):
                ours.add(name.removeprefix("klmodels").removeprefix("."))
            elif (name and not isinstance(node, ast.ImportFrom)) or name == names[0]:
                theirs.add(name.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return ours, theirs


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        ours, theirs = _imports(ast.parse(path.read_text(encoding="utf-8")), package)
        targets = set()
        for target in ours:
            while target and target not in modules:  # `from klmodels.x import name`
                target = target.rpartition(".")[0]
            if target != name and (target or name == ""):
                targets.add(target)
        edges[name] = targets - {name}
        external[name] = theirs
    return edges, external


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in edges:
        if v not in index:
            connect(v)
    return found


def test_every_module_has_a_layer():
    edges, _ = _graph()
    assert set(edges) - set(LAYER_OF) == set(), "add new modules to LAYERS and docs/architecture.md"


def test_no_import_cycle_counting_imports_inside_functions():
    edges, _ = _graph()
    assert _cycles(edges) == []


def test_imports_run_down_the_layers():
    edges, _ = _graph()
    upward = [
        f"{a or 'klmodels'} ({LAYERS[LAYER_OF[a]][0]}) imports {b} ({LAYERS[LAYER_OF[b]][0]})"
        for a, targets in edges.items()
        for b in targets
        if LAYER_OF.get(b, -1) > LAYER_OF.get(a, -1)
    ]
    assert upward == []


def test_the_core_needs_only_numpy_and_scipy():
    _, external = _graph()
    core = LAYERS[0][1]
    standard = set(sys.stdlib_module_names) | {"__future__"}
    extra = {m: external[m] - standard - CORE_MAY_IMPORT for m in core if m in external}
    assert {m: e for m, e in extra.items() if e} == {}


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(edges, expected):
    assert _cycles(edges) == expected


def test_a_missing_optional_dependency_fails_when_required(tmp_path):
    """With KLMODELS_REQUIRE_OPTIONAL=1 (as `make test` sets), importorskip cannot hide a gap."""
    import os
    import shutil
    import subprocess

    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_gap.py").write_text(
        "import pytest\npytest.importorskip('no_such_module_xyz')\ndef test_x():\n    pass\n"
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "KLMODELS_REQUIRE_OPTIONAL"}
    relaxed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    strict = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**env, "KLMODELS_REQUIRE_OPTIONAL": "1"},
        cwd=tmp_path,
    )
    assert relaxed.returncode in (0, 5) and "1 skipped" in relaxed.stdout  # 5: none collected
    assert strict.returncode != 0 and "KLMODELS_REQUIRE_OPTIONAL is set" in strict.stdout
