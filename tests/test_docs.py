"""The documentation site builds strictly, and the API it documents has docstrings.

The build is `make docs`'s: ``sphinx-build -W --keep-going -n``, so a warning, a reference
to a Python name that does not exist (``:func:`gone``` in a docstring, {func}`gone` on a
page) and a link to a page or a heading of the site that is not there all fail it.
"""
import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import forecast

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
API = DOCS / "api"


def test_the_site_builds_without_a_warning_or_a_broken_reference(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        f"sphinx-build failed (exit {done.returncode}); `make docs` shows the same:\n"
        f"{done.stdout}\n{done.stderr}")
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "api" / "index.html").is_file()


def documented_modules() -> list[str]:
    """The modules the API reference's pages document with ``automodule``."""
    found = []
    for page in sorted(API.glob("*.md")):
        for name, options in re.findall(r"^\.\. automodule:: (\S+)\n((?:   :.*\n)*)",
                                        page.read_text(encoding="utf-8"), re.M):
            if ":no-index:" not in options:
                found.append(name)
    return found


def public_names(module) -> list[str]:
    """``__all__``, else the functions and classes the module defines without a ``_``."""
    if hasattr(module, "__all__"):
        return [n for n in module.__all__ if not n.startswith("__")]
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__]


def written_docstring(obj) -> str | None:
    """The docstring in the source: a dataclass without one gets its signature from Python,
    which says nothing, so ``__doc__`` alone would not do."""
    source = inspect.getsource(sys.modules[obj.__module__])
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node.name == obj.__name__:
            return ast.get_docstring(node)
    return inspect.getdoc(obj)


def test_the_api_reference_documents_modules():
    modules = documented_modules()
    assert {"forecast.api", "forecast.config", "forecast.models", "forecast.indicators",
            "forecast.errors"} <= set(modules)
    assert len(modules) == len(set(modules)), "a module documented twice"


@pytest.mark.parametrize("module_name", documented_modules())
def test_every_public_name_of_a_documented_module_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    assert inspect.getdoc(module), f"{module_name} has no docstring"
    missing = [name for name in public_names(module)
               if (inspect.isfunction(obj := getattr(module, name)) or inspect.isclass(obj))
               and not (written_docstring(obj) or "").strip()]
    assert not missing, f"public names of {module_name} without a docstring: {missing}"


def test_every_name_import_forecast_offers_has_a_docstring_and_a_row_in_the_reference():
    index = (API / "index.md").read_text(encoding="utf-8")
    for name in forecast.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(forecast, name)
        assert (written_docstring(obj) or "").strip(), f"forecast.{name} has no docstring"
        where = f"{obj.__module__}.{obj.__qualname__}"
        assert f"`forecast.{name} <{where}>`" in index, (
            f"docs/api/index.md does not list forecast.{name} (documented as {where})")


def test_the_readme_is_short_and_links_to_pages_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300, "the manual belongs in docs/, not the README"
    assert re.search(r"^## Quick start\n(?:.*\n)*?make demo.*\nmake test", readme, re.M)
    links = re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", readme)  # relative: no scheme
    assert links, "the README links into the docs"
    for link in links:
        assert (ROOT / link).exists(), f"README links to {link}, which is not there"
