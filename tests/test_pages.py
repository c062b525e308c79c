"""The pages about several runs (index, comparison, sweep) rank each run by its own
target's score, as the run's report ranks its models: RMSE and Theil's U for prices, the
Brier score for direction, QLIKE for volatility (all lower is better); runs of different
targets are not ranked against each other. Baselines only: no network is trained."""
import html
import json
import re

import pytest

from forecast import config, report, runs, sweep, walkforward
from forecast.report.markup import fmt


def run(exp, target, models, ticker="^GSPC"):
    return walkforward.run_experiment(config.override(exp, {
        "features.target": target, "models": models, "data.ticker": ticker}), progress=False)


@pytest.fixture(scope="module")
def direction(tiny_experiment):
    return run(tiny_experiment, "direction", {"naive": {}, "logistic": {}})


@pytest.fixture(scope="module")
def volatility(tiny_experiment):
    return run(tiny_experiment, "volatility",
               {"naive": {}, "garch": {}, "har": {}, "ewma": {}})


@pytest.fixture(scope="module")
def prices(tiny_experiment):
    return run(tiny_experiment, "return", {"naive": {}, "drift": {}})


def lowest(result, key):
    """The model with the lowest ``key``, checked to differ from the highest: a ranking
    the wrong way round would name another model."""
    scores = {n: m.scores[key] for n, m in result.models.items()}
    assert min(scores, key=scores.get) != max(scores, key=scores.get)
    return min(scores, key=scores.get)


def report_best(result):
    """The model the run's own report marks best."""
    return re.search(r'<tr data-model="([^"]+)" class=best>', report.html(result)).group(1)


def index_rows(page):
    """run directory name -> its row's cells as text (tags dropped)."""
    table = re.search(r'<table id="runs">(.*)</table>', page, re.S).group(1)
    out = {}
    for row in re.findall(r"<tr><td.*?</tr>", table, re.S):
        name = re.search(r'href="[^"/]+/([^"/]+)/', row).group(1)
        out[name] = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split()
                     for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return out


def test_the_index_shows_each_run_s_best_model_by_its_own_score(direction, volatility,
                                                                  prices, tmp_path):
    dirs = {r.experiment.features.target: runs.save(r, tmp_path)
            for r in (direction, volatility, prices)}
    page = report.render_index(tmp_path).read_text(encoding="utf-8")
    rows = index_rows(page)
    head = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert head[6:11] == ["target", "best model", "its score", "baseline's score",
                          "each model against the baseline"]
    # direction: the lowest Brier score wins (climatology here), the baseline climatology
    d = rows[dirs["direction"].name]
    top = lowest(direction, "brier")
    assert top == report_best(direction)
    assert d[6:9] == [["direction"], [top],
                      [fmt(direction.models[top].scores["brier"], "ratio"), "Brier", "score"]]
    assert d[9] == [fmt(direction.models["naive"].scores["brier"], "ratio"), "naive"]
    assert d[10] == ["logistic", fmt(direction.models["logistic"].scores["brier"], "ratio")]
    # volatility: the lowest QLIKE wins, measured against GARCH(1,1)
    v = rows[dirs["volatility"].name]
    top = lowest(volatility, "qlike")
    assert top == report_best(volatility)
    assert v[7:10] == [[top], [fmt(volatility.models[top].scores["qlike"], "ratio"), "QLIKE"],
                       [fmt(volatility.models["garch"].scores["qlike"], "ratio"), "garch"]]
    g = volatility.models["garch"].scores["qlike"]
    for name in ("naive", "har", "ewma"):
        q = volatility.models[name].scores["qlike"]
        span = re.search(rf'<span class="(\w*)">{name} {re.escape(fmt(q, "ratio"))}</span>',
                         page)
        assert span.group(1) == against_garch(volatility.models[name].scores, g)
    # a price run keeps its cells: RMSE of the best, naive's, each model's Theil's U
    p = rows[dirs["return"].name]
    assert p[6:10] == [["return"], ["drift"], [fmt(prices.models["drift"].scores["rmse"],
                                                   "price")],
                       [fmt(prices.models["naive"].scores["rmse"], "price")]]
    # the targets in the order of the newest run first: runs saved in one second or not
    scored = re.search(r"Scored: ([^<]*)", page).group(1)
    assert "direction runs by their Brier score (lower is better)" in scored


def against_garch(scores, garch_qlike):
    """The colour of a volatility model's QLIKE: green only where its own test against
    GARCH(1,1) is significant at 5%, red where GARCH is significantly better."""
    if scores["dm_garch_pvalue"] >= 0.05:
        return ""
    return "ok" if scores["qlike"] < garch_qlike else "fail"


def test_an_index_of_price_runs_keeps_its_columns(prices, tmp_path):
    runs.save(prices, tmp_path)
    page = report.render_index(tmp_path).read_text(encoding="utf-8")
    assert "<th>RMSE</th><th>naive RMSE</th><th class=text>each model's Theil's U</th>" in page
    assert "target" not in page and "Scored:" not in page


def charts_of(page):
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                      page, re.S).group(1)
    return {c["id"]: c for c in json.loads(block)["charts"]}


def test_compare_ranks_runs_of_one_target_by_its_score(direction, tiny_experiment, tmp_path):
    other = run(tiny_experiment, "direction", {"naive": {}, "logistic": {}}, ticker="^IXIC")
    page = report.render_compare([direction, other], tmp_path / "c.html").read_text()
    assert "ranked by their Brier score, lower is better" in page
    assert "not comparable" not in page
    briers = [r.models["logistic"].scores["brier"] for r in (direction, other)]
    assert briers[0] != briers[1]
    table = re.search(r'data-model="logistic">(.*?)</table>', page, re.S).group(1)
    won = re.search(r'<tr data-run="(\d)" class=best>', table).group(1)
    assert int(won) == 1 + briers.index(min(briers))
    assert f'data-key="brier" data-value="{briers[0]!r}"' in table
    chart = charts_of(page)["chart-compare"]
    assert chart["yLabel"] == "Brier score" and "hline" not in chart
    logistic = next(s for s in chart["series"] if s["label"] == "logistic")
    assert logistic["y"] == pytest.approx(briers, abs=1e-4)


def test_compare_does_not_rank_runs_of_different_targets(direction, volatility, prices,
                                                          tmp_path):
    page = report.render_compare([direction, volatility, prices],
                                 tmp_path / "c.html").read_text()
    statement = re.search(r'<p class="not-comparable">(.*?)</p>', page, re.S).group(1)
    assert "These runs forecast different targets, so their scores are not comparable" \
        in statement
    assert "direction: runs #1; volatility: runs #2; return: runs #3" in statement
    sections = dict(re.findall(r'<section class="compare-target" data-target="(\w+)">(.*?)'
                               "</section>", page, re.S))
    assert list(sections) == ["direction", "volatility", "return"]
    for target, number in (("direction", "1"), ("volatility", "2"), ("return", "3")):
        # every table of a target's section holds only its runs: none ranked across
        assert set(re.findall(r'<tr data-run="(\d)"', sections[target])) == {number}
    assert 'data-key="qlike"' in sections["volatility"]
    assert "Theil's U by run" in sections["return"]
    charts = charts_of(page)
    assert charts["chart-compare-volatility"]["yLabel"] == "QLIKE"
    assert charts["chart-compare-return"]["hline"] == 1


def test_compare_table_has_each_run_s_target_and_its_scores(direction, prices):
    table = report.compare_table([direction, prices])
    assert list(table.target) == ["direction"] * 2 + ["return"] * 2
    assert table.brier.iloc[1] == direction.models["logistic"].scores["brier"]
    assert table.brier.iloc[3] != table.brier.iloc[3]  # NaN for a price run


def sweep_rows(page, table_id):
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S).group(1)
    return re.findall(r'<tr data-key="(\w+)">(.*?)</tr>', table, re.S)


def cells_of(row):
    """model column -> (class of the cell, class of its value, the value shown)."""
    return re.findall(r'<td(?: class=(\w+))? data-value="[^"]*"><span class="(\w*)">([^<]*)'
                      "</span>", row)


def test_a_sweep_ranks_each_run_by_its_target_and_not_across_targets(direction, volatility,
                                                                     prices, tmp_path):
    summary = {"sweep": "s", "counts": {"runs": 3, "done": 3, "left": 0},
               "runs": [{"key": k, "ticker": "^GSPC", "status": "done", "target": k,
                         "settings": {"features.target": k}, "models": sweep.headline(r)}
                        for k, r in (("direction", direction), ("volatility", volatility),
                                     ("return", prices))]}
    summary["models"] = list(dict.fromkeys(n for r in summary["runs"] for n in r["models"]))
    page = report.render_sweep_summary(summary, tmp_path / "s.html").read_text()
    assert "These runs forecast different targets, so their scores are not comparable" in page
    [(_, row)] = sweep_rows(page, "sweep-table-volatility")
    q = {n: m.scores["qlike"] for n, m in volatility.models.items()}
    # naive, garch, har, ewma: the best model that is no reference (naive, GARCH) in bold,
    # each coloured against GARCH(1,1)
    top = min(("har", "ewma"), key=q.get)
    assert cells_of(row) == [
        ("win" if n == top else "", "" if n == "garch" else
         against_garch(volatility.models[n].scores, q["garch"]), fmt(q[n], "ratio"))
        for n in ("naive", "garch", "har", "ewma")]
    [(_, row)] = sweep_rows(page, "sweep-table-direction")
    b = {n: m.scores["brier"] for n, m in direction.models.items()}
    assert b["logistic"] != b["naive"]
    p = direction.models["logistic"].scores["dm_pvalue"]
    assert cells_of(row) == [("", "", fmt(b["naive"], "ratio")),
                             ("win", "" if p >= 0.05 else "ok" if b["logistic"] < b["naive"]
                              else "fail", fmt(b["logistic"], "ratio"))]
    [(_, row)] = sweep_rows(page, "sweep-table-return")
    u, p = (prices.models["drift"].scores[k] for k in ("theil_u", "dm_pvalue"))
    assert cells_of(row)[1] == ("win", "" if p >= 0.05 else "ok" if u < 1 else "fail",
                                fmt(u, "ratio"))
    charts = charts_of(page)
    assert charts["chart-sweep-direction"]["yLabel"] == "Brier score"
    assert [s["label"] for s in charts["chart-sweep-direction"]["series"]] == ["naive",
                                                                               "logistic"]


def test_a_sweep_of_one_target_has_one_table_by_its_score(volatility, tmp_path):
    summary = {"sweep": "s", "runs": [{"key": "a", "ticker": "^GSPC", "status": "done",
                                       "target": "volatility",
                                       "models": sweep.headline(volatility)}]}
    page = report.render_sweep_summary(summary, tmp_path / "s.html").read_text()
    assert "not comparable" not in page and len(sweep_rows(page, "sweep-table")) == 1
    assert charts_of(page)["chart-sweep"]["yLabel"] == "QLIKE"
    assert ("Each model: its QLIKE (lower is better) against GARCH(1,1), or naive "
            "persistence in a run without it (green where its Diebold-Mariano test finds it "
            "significantly better at 5%") in page


# Theil's U and p-value of each model: a lower RMSE is green only where the test says so
TESTED = {"lucky": (0.9999, 0.80), "skilled": (0.99, 0.01), "worse": (1.01, 0.01),
          "untested": (0.99, None)}
COLOURS = {"lucky": "", "skilled": "ok", "worse": "fail", "untested": ""}


def test_the_index_is_green_only_where_the_difference_is_significant(tmp_path):
    from test_report import make_run
    run_dir = make_run(tmp_path, models=("naive", *TESTED))
    m = json.loads((run_dir / "metrics.json").read_text())
    for name, (u, p) in TESTED.items():
        m["models"][name].update(theil_u=u, dm_pvalue=p)
    (run_dir / "metrics.json").write_text(json.dumps(m))
    page = report.render_index(tmp_path).read_text(encoding="utf-8")
    shown = {n: c for c, n in re.findall(r'<span class="(\w*)">(\w+) [\d.]+</span>', page)}
    assert shown == COLOURS
    assert "green where the Diebold-Mariano test finds it significant at 5%" in page


def test_a_sweep_is_green_only_where_the_difference_is_significant(tmp_path):
    heads = {"naive": {"theil_u": 1.0}}
    heads.update({n: {"theil_u": u, **({"dm_pvalue": p} if p is not None else {})}
                  for n, (u, p) in TESTED.items()})
    summary = {"sweep": "s", "models": list(heads), "runs": [
        {"key": "a", "ticker": "X", "status": "done", "target": "return", "models": heads}]}
    page = report.render_sweep_summary(summary, tmp_path / "s.html").read_text()
    [(_, row)] = sweep_rows(page, "sweep-table")
    assert [c for _, c, _ in cells_of(row)] == ["", *COLOURS.values()]
    assert "below 1: a lower RMSE than naive persistence's; green where its Diebold-Mariano " \
           "test finds it significantly better at 5%" in page
