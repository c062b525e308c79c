"""Plugins: a user's files or modules that register indicators and models.

A plugin is Python code that calls :func:`forecast.register_indicator` or
:func:`forecast.register_model` when imported. It is named in an experiment file
(``plugins = ["my_indicators.py", "mypkg.models"]``: files relative to the experiment file,
or importable module names), with ``--plugin`` on the command line, or in
``forecast.backtest(..., plugins=[...])``; installed packages register through the entry
point group ``forecast.plugins``. Plugins are imported before an experiment is validated,
so its names resolve, and each run records every plugin's name and the sha256 of its code.

Sweep workers (other processes, Ray nodes) receive the code itself (:func:`sources`) and
load it with :func:`load` before they read the experiment: a file need not exist there.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

from forecast.errors import ForecastError, one_line

GROUP = "forecast.plugins"
_loaded: dict[str, dict] = {}  # spec -> {"name", "sha256"} of what was imported
_registered_by: dict[tuple, str] = {}  # (kind, name) -> sha256 of the plugin that did


def is_file(spec: str) -> bool:
    """A path (``x.py``, ``dir/x.py``) rather than a module name (``mypkg.models``)."""
    return spec.endswith(".py") or "/" in spec or "\\" in spec


def resolve(spec: str, base=None) -> str:
    """A file as an absolute path (relative to ``base``, else the working directory);
    a module name as it is."""
    spec = spec.strip()
    if not is_file(spec):
        return spec
    path = Path(spec).expanduser()
    return str((Path(base or ".") / path).resolve() if not path.is_absolute() else path)


def load(specs, *, sources: dict | None = None) -> list[dict]:
    """Import each plugin once (again when a file's code changed); their records.

    ``sources``: spec -> code, for a worker that may not have the files.
    """
    _entry_points()
    return [_load(resolve(spec), (sources or {}).get(spec)) for spec in specs]


def records(specs) -> list[dict]:
    """``{"name", "sha256"}`` of each plugin, as a run records them."""
    return [_loaded.get(s) or _load(s, None) for s in specs]


def sources(specs) -> dict:
    """spec -> code of the file plugins, to ship to workers."""
    out = {}
    for spec in specs:
        if is_file(spec):
            out[spec] = _read(spec)
    return out


def _load(spec: str, code: str | None) -> dict:
    if not spec:
        raise ForecastError("a plugin was named by an empty string: give a file "
                            "(my_plugin.py) or a module name (mypkg.models)")
    before = _registered()
    record = _import(spec, code)
    _refuse_replacements(spec, before, record["sha256"])
    return record


def _import(spec: str, code: str | None) -> dict:
    if is_file(spec):
        if code is None and spec in _loaded and not Path(spec).is_file():
            return _loaded[spec]  # a worker given the code: the file is not here
        code = _read(spec) if code is None else code
        digest = hashlib.sha256(code.encode()).hexdigest()
        if _loaded.get(spec, {}).get("sha256") == digest:
            return _loaded[spec]
        name = "forecast_plugin_" + re.sub(r"\W", "_", Path(spec).stem)
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, None))
        module.__file__ = spec
        try:
            sys.modules[name] = module  # dataclasses and pickling look modules up by name
            exec(compile(code, spec, "exec"), module.__dict__)
        except (Exception, SystemExit) as e:  # sys.exit() in a plugin is its failure too
            sys.modules.pop(name, None)
            hint = (" (a plugin file's own folder is not on the import path: put that code "
                    "in the plugin, or install it as a module)"
                    if isinstance(e, ModuleNotFoundError) and e.name and
                    (Path(spec).parent / f"{e.name.split('.')[0]}.py").is_file() else "")
            raise ForecastError(f"plugin {spec} failed to import: {one_line(e)}{hint}") \
                from e
    else:
        if spec in _loaded:
            return _loaded[spec]
        try:
            module = importlib.import_module(spec)
        except (Exception, SystemExit) as e:
            hint = (" (is it installed, or on PYTHONPATH?)"
                    if isinstance(e, ModuleNotFoundError) and e.name == spec.split(".")[0]
                    else "")
            if Path(spec).is_file():  # a file, not a module, that does not end in .py
                raise ForecastError(f"plugin {spec} is not a .py file: a plugin file is "
                                    "Python code ending in .py") from e
            raise ForecastError(f"plugin {spec} failed to import: {one_line(e)}{hint}") \
                from e
        file = getattr(module, "__file__", None)
        code = Path(file).read_text(encoding="utf-8") if file else spec
        digest = hashlib.sha256(code.encode()).hexdigest()
    _loaded[spec] = {"name": spec, "sha256": digest}
    return _loaded[spec]


def _registered() -> dict:
    """(kind, name) -> entry of every model and indicator registered now."""
    from forecast.indicators import INDICATORS
    from forecast.models import MODELS
    return ({("model", n): e for n, e in MODELS.items()}
            | {("indicator", n): e for n, e in INDICATORS.items()})


def _refuse_replacements(spec: str, before: dict, sha256: str) -> None:
    """A plugin may not silently replace a model or indicator someone else registered
    (a plugin's "naive" would change the baseline every model is judged by); the old
    entry is put back. The same plugin loaded again after an edit, or the same code from
    another path (a sweep job's copy), may replace its own."""
    from forecast.indicators import INDICATORS
    from forecast.models import MODELS
    for key, new in _registered().items():
        kind, name = key
        old = before.get(key)
        if new is old:
            continue
        if old is None or _owner(new) == _owner(old) or _registered_by.get(key) == sha256:
            _registered_by[key] = sha256
            continue
        (MODELS if kind == "model" else INDICATORS)[name] = old
        owner = _owner(old)
        owner = ("forecast" if owner.startswith("forecast.") else
                 getattr(sys.modules.get(owner), "__file__", None) or owner)
        raise ForecastError(f'plugin {spec} registers the {kind} "{name}", which {owner} '
                            "already has: give yours another name")


def _owner(entry) -> str:
    """The module that registered ``entry``."""
    fn = getattr(entry, "factory", None) or getattr(entry, "func", None)
    return getattr(fn, "__module__", None) or "?"


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except IsADirectoryError:
        raise ForecastError(f"plugin {path} is a folder: name a .py file in it, or the "
                            "module name of an installed package") from None
    except FileNotFoundError:
        raise ForecastError(f"plugin {path} does not exist: check the path (files are "
                            "relative to the experiment file)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ForecastError(f"cannot read plugin {path}: {e}") from None


_entry_points_done = False


def _entry_points() -> None:
    """Import the plugins installed packages declare (entry point group ``forecast.plugins``)."""
    global _entry_points_done
    if _entry_points_done:
        return
    _entry_points_done = True
    for ep in importlib.metadata.entry_points(group=GROUP):
        before = _registered()
        try:
            ep.load()
        except (Exception, SystemExit) as e:
            raise ForecastError(f"plugin {ep.name} (entry point of {ep.value}) failed to "
                                f"import: {one_line(e)}") from e
        _refuse_replacements(f"{ep.name} (entry point of {ep.value})", before,
                             ep.value)
