"""Layers in one direction and no import cycles, function-level imports included.

core (computation) -> result (the typed Result) -> walkforward (runs the core, returns a
Result) -> power (the walk-forward on planted series) -> runs (files) -> report (HTML) ->
faces (the Python API, cli, sweep). Inside a package (models, report) its modules import
one another without cycles too.
"""
import ast
from pathlib import Path

import forecast

PACKAGE = Path(forecast.__file__).parent
LAYERS = [
    {"errors", "files", "forked", "quiet", "windows", "splits", "metrics", "audit", "paired"},
    # plugins: above the registries it guards (a plugin may not replace their entries)
    # days, ohlcv, csvfile, yahoo: data's readers and checks (data.load_prices uses them)
    {"days", "ohlcv", "csvfile", "yahoo", "data", "config", "indicators", "features",
     "targets", "models", "trading", "plugins"},
    {"result"},
    {"walkforward"},
    {"power"},  # runs the walk-forward on planted series
    {"runs"},
    {"report"},
    {"api", "sweep", "cli"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules():
    """Top-level module name (``report`` for the whole package) -> source files."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts == ("__init__",):
            continue  # the package's face: its names are imported lazily
        out.setdefault(rel.parts[0], []).append(path)
    return out


def imports(paths):
    """The forecast modules these files import, at any depth of the code."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "forecast" and len(parts) > 1 and parts[1] in RANK:
                    found.add(parts[1])
    return found


def test_every_module_has_a_layer():
    assert set(modules()) <= set(RANK), set(modules()) - set(RANK)


def test_no_module_imports_a_higher_layer():
    upward = [(m, other) for m, paths in modules().items() for other in imports(paths)
              if RANK[other] > RANK[m]]
    assert upward == []


def test_no_import_cycles():
    graph = {m: imports(paths) - {m} for m, paths in modules().items()}

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen
    cycles = [m for m in graph if m in reach(m)]
    assert cycles == []


def package_imports(package):
    """Module name -> the modules of ``package`` (``forecast.models``, ...) it imports, the
    package's ``__init__`` counted as the package itself."""
    root = PACKAGE / package
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        names[".".join(("forecast",) + parts[:-1 if parts[-1] == "__init__" else None])] = path
    graph = {}
    for name, path in names.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = (found & set(names)) - {name}
    return graph


def test_no_import_cycles_inside_a_package():
    packages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert {"models", "report"} <= set(packages)
    for package in packages:
        graph = package_imports(package)

        def reach(start):
            seen, todo = set(), [start]
            while todo:
                for nxt in graph.get(todo.pop(), ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            return seen
        assert [m for m in graph if m in reach(m)] == [], package
