"""Sphinx settings for forecast's documentation: Markdown pages (MyST), the PyData theme,
and the API reference read from the docstrings (autodoc).

Build it with ``make docs`` (into docs/_build/html); ``tests/test_docs.py`` builds it as
strictly (``-W --keep-going -n``): a warning, a broken cross-reference or a broken link
between pages fails. Nothing here needs the network.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the working tree's forecast, installed or not
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # models imports TensorFlow lazily;
# anything that imports it while autodoc reads the modules stays quiet

import forecast  # noqa: E402

project = "forecast"
author = "the forecast authors"
copyright = "the forecast authors"
version = release = forecast.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]

# Pages: Markdown (MyST); the reST that autodoc and autosummary write is read as reST.
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links to headings down to ###
# A link to a page or a heading of this site must resolve, or the build warns (and fails
# under -W): only links with a scheme (https://...) are left alone.
myst_all_links_external = False

# The API reference: explicit automodule pages in docs/api/. autosummary makes the tables
# of names there and writes no stub files (no :toctree:), so building never writes into
# docs/.
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_class_signature = "mixed"
add_module_names = False
python_use_unqualified_type_names = True

# -n (nitpicky): every reference must resolve. Names from other libraries are not in this
# site (no intersphinx: the build stays offline), so they are let through by name.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:(class|obj|data|func|exc|meth|attr|mod)",
     r"(np|numpy|pd|pandas|keras|tf|tensorflow|sklearn|arch|ray|tqdm|yfinance|tomllib"
     r"|datetime|pathlib|typing|collections|concurrent|multiprocessing|argparse|os|io"
     r"|subprocess|types|threading|signal)(\..*)?"),
    (r"py:(class|obj|data)",
     r"(Path|Callable|Iterable|Iterator|Sequence|Mapping|Protocol|Any|NamedTuple|TextIO"
     r"|ndarray|DataFrame|Series|DatetimeIndex|Index|Timestamp|date|datetime|time"
     r"|timedelta|Namespace|ArgumentParser|Future|Executor|BaseException|Exception"
     r"|ValueError|TypeError|OSError|KeyError|ModuleType|TracebackType|Layer|Model"
     r"|Optimizer|Tensor|Variable|optional|callable|function|module|iterable)"),
]

html_theme = "pydata_sphinx_theme"
html_title = f"forecast {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_show_sourcelink = True
html_last_updated_fmt = None


# A reference in a docstring means what the name means in Python where it is written:
# ``:class:`Experiment``` in forecast/api.py is the ``Experiment`` that module imports
# (forecast.config.Experiment), ``:meth:`summary``` in a class's docstring is that class's
# method wherever it is defined, ``:func:`forecast.register_model``` is the function the
# package hands out. Sphinx looks such names up only under the module and class they are
# written in; this looks them up as Python would and links to where the object is
# documented. A name Python cannot find is still a broken reference (-n fails the build).
def _python_target(node):
    import importlib
    import inspect

    parts = node["reftarget"].lstrip(".~").split(".")
    modname, clsname = node.get("py:module"), node.get("py:class")
    bases = []
    if modname:
        try:
            module = importlib.import_module(modname)
        except ImportError:
            module = None
        if module is not None:
            owner = module
            for name in (clsname.split(".") if clsname else []):
                owner = getattr(owner, name, None)
            if clsname and owner is not None:
                bases.append((owner, f"{modname}.{clsname}"))
            bases.append((module, modname))
    bases.append((forecast, "forecast"))
    for i in range(len(parts) - 1, 0, -1):  # an absolute name: forecast.report.render
        try:
            module = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        bases.append((module, module.__name__))
        parts_from = {id(module): parts[i:]}
        break
    else:
        parts_from = {}
    for base, base_name in bases:
        obj, owner, owner_name = base, None, base_name
        for part in parts_from.get(id(base), parts):
            if not hasattr(obj, part):
                break
            owner, owner_name = obj, _canonical(obj) or owner_name
            obj = getattr(obj, part)
        else:
            if inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj):
                names = [_canonical(obj)]
            else:  # a value: documented under its owner, else the owner itself
                names = [f"{owner_name}.{part}", owner_name]
            if isinstance(owner, property):
                names.append(owner_name)
            yield from (n for n in names if n)
            return


def _canonical(obj):
    import inspect

    if inspect.ismodule(obj):
        return obj.__name__
    if isinstance(obj, property):
        obj = obj.fget
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if module and qualname and "<" not in qualname:
        return f"{module}.{qualname}"
    return None


def _resolve_as_python(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    try:
        names = list(_python_target(node))
    except Exception:  # an import that fails here is autodoc's to report
        return None
    for name in names:
        if name in domain.objects:
            return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", name, node,
                                       contnode)
    return None


# A dataclass field with a default_factory shows as ``name=<factory>``, which is not Python:
# the signature then fails to parse and its pieces turn into bogus references. Show the
# value the factory makes instead (``[]``, ``{}``, the models of a new experiment).
def _factory_defaults(app, what, name, obj, options, signature, return_annotation):
    import dataclasses
    import re

    if what != "class" or not signature or "<factory>" not in signature \
            or not dataclasses.is_dataclass(obj):
        return None
    made = {f.name: repr(f.default_factory()) for f in dataclasses.fields(obj)
            if f.default_factory is not dataclasses.MISSING}
    signature = re.sub(r"(\w+)(: [^=,]*)? = <factory>",
                       lambda m: f"{m.group(1)}{m.group(2) or ''} = {made[m.group(1)]}",
                       signature)
    return signature, return_annotation


# A module's constant (``TARGETS = {}``) has no docstring of its own: autodoc would show
# its type's (dict's). The page that documents it says what it is instead.
def _no_type_docstring(app, what, name, obj, options, lines):
    import inspect

    if what in ("data", "attribute") and lines \
            and "\n".join(lines).strip() == (inspect.getdoc(type(obj)) or "").strip():
        lines.clear()


def setup(app):
    app.connect("autodoc-process-docstring", _no_type_docstring)
    app.connect("missing-reference", _resolve_as_python)
    app.connect("autodoc-process-signature", _factory_defaults)
