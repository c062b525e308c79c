"""HTML from a finished run directory; the only module that writes HTML."""
from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from forecast import runs


def render(run_dir) -> Path:
    """Write ``report.html`` into ``run_dir`` from its files alone."""
    run_dir = Path(run_dir)
    m, _ = runs.load(run_dir)
    rows = []
    best = min((e["rmse"], name) for name, e in m["models"].items())[1]
    for name, e in m["models"].items():
        rows.append(f"<tr{' class=best' if name == best else ''}><td>{_e(name)}</td>"
                    f"<td>{e['rmse']:.3f}</td><td>{e['mae']:.3f}</td><td>{e['mape']:.3f}</td>"
                    f"<td>{e['directional_accuracy']:.3f}</td><td>{e['theil_u']:.4f}</td>"
                    f"<td>{e['wall_seconds']:.1f}</td><td>{e['params'] or 0}</td></tr>")
    verdicts = [f"<p>{_e(name)} does not beat naive persistence (Theil's U "
                f"{e['theil_u']:.4f} &ge; 1).</p>"
                for name, e in m["models"].items() if name != "naive" and e["theil_u"] >= 1]
    page = f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>{_e(m['experiment'])} · {_e(m['ticker'])}</title>
<h1>{_e(m['experiment'])}</h1>
<p>{_e(m['ticker'])} ({_e(m['source'])}), {_e(m['data']['start'])} to {_e(m['data']['end'])}</p>
<table><tr><th>model<th>RMSE<th>MAE<th>MAPE %<th>dir. acc.<th>Theil's U<th>wall s<th>params</tr>
{''.join(rows)}</table>{''.join(verdicts)}</html>"""
    return write_atomic(run_dir / "report.html", page)


def render_index(root="reports") -> Path:
    """Write ``index.html`` listing every run under ``root``, newest first."""
    root = Path(root)
    items = []
    for d in runs.find(root):
        m, _ = runs.load(d)
        items.append(f'<li><a href="{_e(d.relative_to(root).as_posix())}/report.html">'
                     f"{_e(m['experiment'])} {_e(d.name)}</a></li>")
    page = (f"<!doctype html><html lang=en><meta charset=utf-8><title>forecast runs</title>"
            f"<h1>Runs</h1><ul>{''.join(items)}</ul></html>")
    return write_atomic(root / "index.html", page)


def write_atomic(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def _e(value) -> str:
    return html.escape(str(value))
