"""Plugins: a user's file with an indicator and a model reaches every face and worker."""
import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from forecast import cli, config, plugins
from forecast.errors import ForecastError

PLUGIN = '''
import numpy as np
from forecast import register_indicator, register_model


@register_indicator("test_momentum", scale="free")
def test_momentum(prices, length=5):
    """Log change of the close over length days."""
    return np.log(prices["close"] / prices["close"].shift(length))


class Boosted:
    """scikit-learn's GradientBoostingRegressor on the flattened windows."""
    deterministic = True

    def __init__(self, n_estimators):
        from sklearn.ensemble import GradientBoostingRegressor
        self.model = GradientBoostingRegressor(n_estimators=n_estimators, max_depth=2,
                                               random_state=0)
        self.params = None

    def fit(self, fold):
        self.model.fit(fold.X_train.reshape(len(fold.X_train), -1), fold.y_train)
        return {}

    def predict(self, fold):
        flat = fold.X_test.reshape(len(fold.X_test), -1)
        return fold.to_price(self.model.predict(flat))


@register_model("test_boosted", n_estimators=5)
def test_boosted(n_estimators, **_):
    """Gradient-boosted trees."""
    return Boosted(n_estimators)
'''

EXPERIMENT = '''
name = "plugged"
seed = 1
plugins = ["{plugin}"]
[data]
source = "sample"
ticker = "^GSPC"
start = "2005-01-01"
end = "2007-06-30"
[features]
lookback = 10
indicators = [{{ name = "sma", length = 20 }}, {{ name = "test_momentum", length = 5 }}]
[split]
initial_train = 300
folds = 2
[models.naive]
[models.test_boosted]
'''


@pytest.fixture(scope="module")
def plugged(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugged")
    (folder / "my_plugin.py").write_text(PLUGIN)
    (folder / "plugged.toml").write_text(EXPERIMENT.format(plugin="my_plugin.py"))
    return folder / "plugged.toml"


def predictions(out, name="plugged"):
    frames = [pd.read_csv(p) for p in sorted(Path(out).glob(f"{name}/*/predictions.csv"))]
    return pd.concat(frames, ignore_index=True).sort_values(["date", "model"])


def test_a_plugin_named_in_the_experiment_runs_and_is_recorded(plugged, tmp_path):
    assert cli.main(["run", str(plugged), "--out", str(tmp_path), "--quiet"]) == 0
    run = next(tmp_path.glob("plugged/*/metrics.json"))
    m = json.loads(run.read_text())
    assert set(m["models"]) == {"naive", "test_boosted"}
    assert "test_momentum_5" in m["features"]
    [record] = m["plugins"]
    assert record["name"] == str(plugged.parent / "my_plugin.py")
    assert len(record["sha256"]) == 64
    assert "test_boosted" in set(pd.read_csv(run.parent / "predictions.csv").model)


def test_listings_show_a_plugin_s_entries(tmp_path, capsys):
    path = tmp_path / "listed_plugin.py"
    path.write_text(PLUGIN.replace("test_momentum", "listed_momentum")
                    .replace("test_boosted", "listed_boosted"))
    assert cli.main(["indicators", "--plugin", str(path)]) == 0
    assert "listed_momentum" in capsys.readouterr().out
    assert cli.main(["models", "--plugin", str(path)]) == 0
    assert "listed_boosted" in capsys.readouterr().out


def test_a_misspelt_plugin_name_gets_did_you_mean(plugged, tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text(plugged.read_text().replace("[models.test_boosted]",
                                               "[models.test_bosted]")
                   .replace('"my_plugin.py"', json.dumps(str(plugged.parent / "my_plugin.py"))))
    with pytest.raises(ForecastError, match='Did you mean "test_boosted"'):
        config.load_experiment(bad)


def test_a_plugin_that_fails_to_import_is_one_line_and_debug_shows_why(tmp_path, capsys):
    broken = tmp_path / "broken_plugin.py"
    broken.write_text("import numpy\nraise RuntimeError('no luck today')\n")
    assert cli.main(["models", "--plugin", str(broken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"forecast: error: plugin {broken} failed to import: RuntimeError: no luck "
                   "today"]
    assert cli.main(["--debug", "models", "--plugin", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "raise RuntimeError('no luck today')" in err
    assert cli.main(["models", "--plugin", "no_such_module_here"]) == 2
    assert "is it installed" in capsys.readouterr().err


def test_resume_refuses_when_a_plugin_changed(plugged, tmp_path):
    from forecast import runs
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "my_plugin.py").write_text(PLUGIN.replace("test_", "resume_"))
    toml = folder / "plugged.toml"
    toml.write_text(EXPERIMENT.format(plugin="my_plugin.py").replace("test_", "resume_"))
    exp = config.load_experiment(toml)
    runs.Checkpoint.start(exp, tmp_path / "out").save(1, [], {}, "sha")
    assert runs.Checkpoint.latest(exp, tmp_path / "out")  # unchanged: resumable
    (folder / "my_plugin.py").write_text(PLUGIN.replace("test_", "resume_") + "\n# edited\n")
    changed = config.load_experiment(toml)
    with pytest.raises(ForecastError, match="other settings .*plugin"):
        runs.Checkpoint.latest(changed, tmp_path / "out")


def test_workers_get_the_plugin_code_not_the_file(plugged, tmp_path):
    """A Ray node has no copy of the user's files: the job carries the code."""
    from forecast import sweep
    exp = config.load_experiment(plugged)
    [job] = sweep.combinations(exp, ["^GSPC"], [])
    moved = tmp_path / "elsewhere.py"  # the path in the job no longer exists
    text = job.toml.replace(str(plugged.parent / "my_plugin.py"), str(moved))
    code = {str(moved): job.plugins[str(plugged.parent / "my_plugin.py")]}
    outcome = sweep.run_job(text, code)
    assert "error" not in outcome, outcome.get("error")
    assert "test_boosted" in set(outcome["run"].predictions.model)


def test_local_sweep_predictions_equal_a_plain_run(plugged, tmp_path):
    assert cli.main(["run", str(plugged), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert cli.main(["sweep", str(plugged), "--out", str(tmp_path / "sweep"), "--quiet",
                     "--workers", "1"]) == 0
    pd.testing.assert_frame_equal(predictions(tmp_path / "run"),
                                  predictions(tmp_path / "sweep"))


def test_ray_sweep_predictions_equal_a_plain_run(plugged, tmp_path, ray_module):
    ray = ray_module
    assert cli.main(["run", str(plugged), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        assert cli.main(["sweep", str(plugged), "--out", str(tmp_path / "ray"), "--quiet",
                         "--executor", "ray"]) == 0
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(predictions(tmp_path / "run"),
                                  predictions(tmp_path / "ray"))


def test_module_plugins_and_files_resolve(tmp_path):
    assert plugins.resolve("mypkg.models") == "mypkg.models"
    assert plugins.resolve("x.py", tmp_path) == str(tmp_path / "x.py")
    with pytest.raises(ForecastError, match="does not exist"):
        plugins.load([str(tmp_path / "missing.py")])
    (tmp_path / "mod_plugin_xyz.py").write_text(textwrap.dedent('''
        from forecast import register_model
        from forecast.models import Naive

        @register_model("module_naive")
        def module_naive(**_):
            """Naive, registered by a module."""
            return Naive()
    '''))
    import sys
    sys.path.insert(0, str(tmp_path))
    try:
        [record] = plugins.load(["mod_plugin_xyz"])
    finally:
        sys.path.remove(str(tmp_path))
    from forecast.models import MODELS
    assert "module_naive" in MODELS and record["name"] == "mod_plugin_xyz"


MISBEHAVING = '''
import numpy as np
from forecast import register_model


class Model:
    deterministic = True
    params = None

    def fit(self, fold):
        {fit}

    def predict(self, fold):
        {predict}


@register_model("{name}", width=1)
def make({signature}):
    return Model()
'''
FINE = {"fit": "return {}", "predict": "return fold.last_price.copy()",
        "signature": "width, **training"}


@pytest.mark.parametrize("name, change, message", [
    ("bad_fit", {"fit": "raise ValueError('no luck')"},
     'model "bad_fit" in fold 1: fit failed at bad_fit_plugin.py line 11: ValueError: no '
     "luck"),
    ("bad_short", {"predict": "return fold.last_price[:-1]"},
     'model "bad_short" in fold 1: predict returned an array of shape ('),
    ("bad_column", {"predict": "return fold.last_price[:, None]"},
     'model "bad_column" in fold 1: predict returned an array of shape ('),
    ("bad_none", {"predict": "return None"}, 'model "bad_none" in fold 1: predict returned '
     "None for"),
    ("bad_text", {"predict": "return ['up'] * len(fold.X_test)"},
     "predict returned values that are not numbers"),
    ("bad_nan", {"predict": "p = fold.last_price.copy(); p[3] = np.nan; return p"},
     'model "bad_nan" in fold 1: predict returned NaN or infinity for 1 of '),
    ("bad_inf", {"predict": "p = fold.last_price.copy(); p[0] = np.inf; return p"},
     "NaN or infinity for 1 of"),
    ("bad_history", {"fit": "return [0.1]"}, "fit returned [0.1]: return a dict of losses "
     "per epoch"),
    ("bad_losses", {"fit": "return {'loss': 0.5}"}, "fit returned {'loss': 0.5}: return a "
     'dict of losses per epoch ({"loss": [0.5, 0.4]'),
    ("bad_factory", {"signature": "width"}, 'model "bad_factory" could not be made: '
     "TypeError: make() got an unexpected keyword argument"),
    ("bad_no_predict", {"predict": "pass\n    del predict"},
     'model "bad_no_predict": its factory returned a Model, which has no predict(fold)'),
])
def test_a_misbehaving_model_is_named_in_one_line(tiny_toml_file, tmp_path, capsys, name,
                                                  change, message):
    plugin = tmp_path / f"{name}_plugin.py"
    plugin.write_text(MISBEHAVING.format(name=name, **{**FINE, **change}))
    out = tmp_path / "out"
    assert cli.main(["run", str(tiny_toml_file("misbehaving")), "--plugin", str(plugin),
                     "--models", name, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("forecast: error: ") and message in err[0]
    assert not [p for p in out.rglob("*") if p.is_file() and p.name != "index.html"]


def test_a_model_returning_a_list_and_no_history_runs(tiny_toml_file, tmp_path):
    plugin = tmp_path / "lenient_plugin.py"
    plugin.write_text(MISBEHAVING.format(name="lenient", **{  # and without params
        **FINE, "fit": "return None", "predict": "return list(fold.last_price)"}).replace(
            "    params = None\n", ""))
    assert cli.main(["run", str(tiny_toml_file("lenient")), "--plugin", str(plugin),
                     "--models", "lenient", "--out", str(tmp_path), "--quiet"]) == 0
    [run] = tmp_path.glob("lenient/*/predictions.csv")
    p = pd.read_csv(run)
    assert (p[p.model == "lenient"].y_pred == p[p.model == "lenient"].y_last).all()
    m = json.loads((run.parent / "metrics.json").read_text())
    assert m["models"]["lenient"]["params"] is None


@pytest.mark.parametrize("code, message", [
    ('from forecast import register_model\nfrom forecast.models import Naive\n'
     '@register_model("naive")\ndef mine(**_):\n    return Naive()\n',
     'registers the model "naive", which forecast already has: give yours another name'),
    ('from forecast import register_indicator\n@register_indicator("sma")\n'
     'def mine(prices, length=5):\n    return prices["close"]\n',
     'registers the indicator "sma", which forecast already has: give yours another name'),
])
def test_a_plugin_may_not_replace_a_registered_name(tmp_path, capsys, code, message):
    from forecast.indicators import INDICATORS
    from forecast.models import MODELS
    before = (MODELS["naive"], INDICATORS["sma"])
    plugin = tmp_path / "replacing_plugin.py"
    plugin.write_text(code)
    assert cli.main(["models", "--plugin", str(plugin)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"forecast: error: plugin {plugin} {message}"]
    assert (MODELS["naive"], INDICATORS["sma"]) == before  # put back


def test_a_plugin_may_replace_its_own_names_after_an_edit(tmp_path):
    from forecast.models import MODELS
    plugin = tmp_path / "edited_plugin.py"
    plugin.write_text(PLUGIN.replace("test_", "edited_"))
    plugins.load([str(plugin)])
    first = MODELS["edited_boosted"]
    plugin.write_text(PLUGIN.replace("test_", "edited_") + "\n# edited\n")
    plugins.load([str(plugin)])
    assert MODELS["edited_boosted"] is not first
    other = tmp_path / "other_plugin.py"  # another file may not take the name
    other.write_text(PLUGIN.replace("test_", "edited_"))
    with pytest.raises(ForecastError, match=f'registers the model "edited_boosted", which '
                       f"{plugin} already has"):
        plugins.load([str(other)])


def test_a_plugin_that_exits_or_has_no_name_is_one_line(tmp_path, capsys):
    plugin = tmp_path / "exiting_plugin.py"
    plugin.write_text("import sys\nsys.exit(3)\n")
    assert cli.main(["models", "--plugin", str(plugin)]) == 2
    assert capsys.readouterr().err.strip() == (f"forecast: error: plugin {plugin} failed to "
                                               "import: SystemExit: 3")
    assert cli.main(["models", "--plugin", " "]) == 2
    assert "a plugin was named by an empty string" in capsys.readouterr().err


def test_a_plugin_path_that_is_no_plugin_file_says_what_it_is(tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "settings.toml").write_text("[models.naive]\n")
    (tmp_path / "helper_xyz.py").write_text("X = 1\n")
    (tmp_path / "uses_helper.py").write_text("from helper_xyz import X\n")
    for spec, message in [
            ("folder/", f"plugin {tmp_path / 'folder'} is a folder: name a .py file in it, or "
             "the module name of an installed package"),
            ("settings.toml", "plugin settings.toml is not a .py file: a plugin file is "
             "Python code ending in .py"),
            ("uses_helper.py", f"plugin {tmp_path / 'uses_helper.py'} failed to import: "
             "ModuleNotFoundError: No module named 'helper_xyz' (a plugin file's own folder "
             "is not on the import path: put that code in the plugin, or install it as a "
             "module)")]:
        assert cli.main(["models", "--plugin", spec]) == 2
        assert capsys.readouterr().err.strip() == f"forecast: error: {message}"


def test_a_network_predicting_infinity_is_told_to_lower_its_learning_rate(tiny_toml_file,
                                                                         tmp_path, capsys):
    plugin = tmp_path / "diverged_plugin.py"
    plugin.write_text(textwrap.dedent('''
        import numpy as np
        from forecast import KerasForecaster, register_model

        class Diverged(KerasForecaster):  # what a network whose training diverged returns
            deterministic = True  # no Keras needed to pretend

            def fit(self, fold):
                return {"loss": [np.inf]}

            def predict(self, fold):
                return fold.last_price * np.inf

        @register_model("diverged")
        def diverged(**training):
            return Diverged(lambda L: [], **training)
    '''))
    assert cli.main(["run", str(tiny_toml_file("diverged")), "--plugin", str(plugin),
                     "--models", "diverged", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "a model must forecast every test day (its training likely diverged: lower "
        "learning_rate)")


@pytest.mark.parametrize("body, message", [
    ('return prices["close"].iloc[:-5]', "indicator odd_ind_0 gave 622 values for 627 rows of "
     "prices: return a pandas Series with the prices' index, one value a row"),
    ('return prices["close"].to_numpy()', "indicator odd_ind_1 gave a ndarray for 627 rows"),
    ('return prices["close"] * np.nan', "an input is undefined on 2005-01-03 after the warm-up "
     "(odd_ind_2 is undefined most often)"),
])
def test_a_misbehaving_indicator_is_named(tiny_toml_file, tmp_path, capsys, body, message):
    name = message.split("odd_ind_")[1][0]
    plugin = tmp_path / f"odd_ind_{name}_plugin.py"
    plugin.write_text("import numpy as np\nfrom forecast import register_indicator\n\n"
                      f'@register_indicator("odd_ind")\ndef odd(prices, length={name}):\n'
                      f"    {body}\n".replace('"odd_ind"', f'"odd_ind_{name}"'))
    toml = tiny_toml_file("odd_ind")
    toml.write_text(toml.read_text().replace(
        "lookback = 10", f'lookback = 10\nindicators = [{{ name = "odd_ind_{name}" }}]'))
    assert cli.main(["run", str(toml), "--plugin", str(plugin), "--models", "naive", "--out",
                     str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
