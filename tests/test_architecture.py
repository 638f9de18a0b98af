"""The package's layout is its architecture: layers, one-way arrows, no cycles, no private reach.

Read from the source with ``ast`` (nothing is imported), so the rules hold for lazy imports
inside functions and for imports under ``TYPE_CHECKING`` alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "helpers"

# Layer of each top-level room; an import may go to its own room or a lower layer only.
LAYERS = {
    "errors": 0,
    "data": 1,
    "metrics": 2,
    "analysis": 3,
    "prediction": 4,
    "display": 5,
    "explore": 6,
    "training": 6,
    "importing": 6,
    "reports": 7,
    "cli": 8,
    "__init__": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> list[tuple[str, list[str], int]]:
    """``(imported module, names, line)`` for every import of a helpers module in ``name``."""
    path = MODULES[name]
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "helpers":
                continue
            names = [alias.name for alias in node.names]
            # ``from helpers.x import y`` where y is a module imports that module.
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found += [(s, [], node.lineno) for s in subs]
            rest = [n for n in names if f"{target}.{n}" not in MODULES]
            if rest or not subs:
                found.append((target, rest, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("helpers")]
    return found


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_top_of_the_package_holds_only_its_face_the_cli_and_the_errors():
    files = sorted(p.name for p in PACKAGE.iterdir() if p.is_file() and p.suffix == ".py")
    folders = sorted(
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    )
    assert files == ["__init__.py", "cli.py", "errors.py"]
    assert folders == sorted(k for k in LAYERS if k not in ("errors", "cli", "__init__"))


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_imports_point_down_the_layers(name):
    here = room(name)
    for target, _, line in imports_of(name):
        there = room(target)
        assert LAYERS[there] <= LAYERS[here], f"{name}:{line} imports {target} (a higher layer)"
        if LAYERS[there] == LAYERS[here] and there != here:
            pytest.fail(f"{name}:{line} imports its sibling room {target}")


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_no_module_imports_a_private_name_of_another(name):
    for target, names, line in imports_of(name):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{name}:{line} imports {private} from {target}"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge of a depth-first walk, as the path that closes it."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return cycles


def test_no_import_cycle_at_run_time_or_for_type_checking():
    graph = {name: {t for t, _, _ in imports_of(name) if t in MODULES} for name in MODULES}
    # A package's __init__ re-exporting its children is not a cycle of logic: leave it out.
    graph = {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in graph.items()
    }
    assert find_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_both_report_pools_follow_the_pool_protocol():
    from helpers.reports.dask_pool import DaskPool
    from helpers.reports.jobs import ReportPool
    from helpers.reports.kernel_pool import KernelPool

    assert issubclass(KernelPool, ReportPool)
    assert issubclass(DaskPool, ReportPool)
    assert not issubclass(object, ReportPool)
