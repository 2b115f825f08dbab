"""The shape of the codebase: imports point one way, the library knows nothing of Gradio or of its
training commands, and the app starts without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from demos import lazy_module

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("core", "demos", "train")  # packages whose imports form the graph; app.py too

pytestmark = pytest.mark.unit


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    modules = {module_name(p): p for package in PROJECT for p in (ROOT / package).rglob("*.py")}
    modules["app"] = ROOT / "app.py"
    return modules


def imported_names(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module that `path` imports, at its top or inside any function, including
    `lazy_module("...")` and `importlib.import_module("...")` with a literal name."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in ("lazy_module", "import_module") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        for name in names:
            # `import a.b.c` runs a, a.b and a.b.c; keep the deepest that is ours.
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_names(path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_hidden_inside_a_function(tmp_path):
    # The checker itself must be able to fail: a.py imports b at the top, b.py imports a in a function.
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def later():\n    from a import x\n")
    modules = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                graph[name].add(node.module)
    assert cycles(graph) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_anywhere():
    assert cycles(import_graph()) == []


def test_imports_inside_functions_are_reasoned_exceptions():
    # The start-up rule keeps torch out of the app's import, through lazy modules in demos/; what is
    # left inside functions is a handful of optional or heavy third-party imports.
    inside = []
    for name, path in project_modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        inside.append(f"{name}:{inner.lineno}")
    assert len(inside) <= 25, inside


def test_the_library_never_imports_gradio_demos_or_training():
    graph = import_graph()
    for name, imported in graph.items():
        if name.startswith("core"):
            assert not {i for i in imported if i.startswith(("demos", "train", "app"))}, name
        if name.startswith("demos") or name == "app":
            assert not {i for i in imported if i.startswith("train")}, name
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "gradio" or n.startswith("gradio.") for n in names), path
    modules = sorted(n for n in project_modules() if n.startswith("core"))
    code = f"import sys, {', '.join(modules)}; sys.exit('gradio' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# The tools around the library: each may import the project, harness/ and itself, never another.
TOOLS = {"harness": {"harness"}, "tests": {"tests", "harness"}, "bench": {"bench", "harness"}, "scripts": {"scripts", "harness"}}


def wrong_way_imports(root: Path) -> list[str]:
    """Each import among harness/, tests/, bench/ and scripts/ (at the top or inside a function)
    that TOOLS does not allow, as 'path:line imports name'."""
    found = []
    for side, allowed in TOOLS.items():
        for path in sorted((root / side).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:  # a relative import stays in its package
                    names = [node.module or ""]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top in TOOLS and top not in allowed:
                        found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} imports {name}")
    return found


def test_the_direction_check_finds_each_wrong_way_import(tmp_path):
    files = {
        "harness/serving.py": "import os\n\ndef later():\n    from tests.conftest import need\n",
        "tests/test_x.py": "import bench.overfit\nfrom harness.serving import free_port\nfrom . import conftest\n",
        "bench/soak.py": "from harness import serving\nfrom scripts.screenshots import main\n",
        "scripts/shots.py": "from harness.browser import open_gradio\nimport core.device\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert wrong_way_imports(tmp_path) == [
        "harness/serving.py:4 imports tests.conftest",
        "tests/test_x.py:1 imports bench.overfit",
        "bench/soak.py:2 imports scripts.screenshots",
    ]


def test_tests_bench_and_scripts_share_only_harness():
    """No cycle among tests/, bench/ and scripts/: what two of them need lives in harness/."""
    assert wrong_way_imports(ROOT) == []


def test_harness_is_light_at_import():
    code = "import sys, harness.serving, harness.browser; sys.exit(sorted({'torch', 'gradio', 'playwright'} & set(sys.modules)) or None)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_lazy_module_is_imported_on_first_attribute_use_not_before(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe.py").write_text("import sys\nsys.lazy_probe_runs = getattr(sys, 'lazy_probe_runs', 0) + 1\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_probe", raising=False)
    monkeypatch.setattr(sys, "lazy_probe_runs", 0, raising=False)
    probe = lazy_module("lazy_probe")
    assert "lazy_probe" not in sys.modules and sys.lazy_probe_runs == 0
    assert probe.VALUE == 42 and probe.VALUE == 42
    assert "lazy_probe" in sys.modules and sys.lazy_probe_runs == 1  # imported once, on first use
