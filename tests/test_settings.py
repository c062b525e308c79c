"""Every setting a model's table accepts changes that model's training, or is refused."""
import numpy as np
import pytest

from forecast import config, models, walkforward
from forecast.errors import ForecastError

# a value unlike the default (and unlike the [training] values below) for every key a
# model's table may hold; a new key must be added here, which makes someone check it
OTHER = {"units": lambda d: [3, 2] if isinstance(d, list) else 3, "dropout": lambda d: 0.5,
         "alphas": lambda d: [50.0], "max_lags": lambda d: 0,
         "epochs": lambda d: 2, "batch_size": lambda d: 16,
         "learning_rate": lambda d: 0.05, "patience": lambda d: 0, "stride": lambda d: 3,
         "min_delta": lambda d: 10.0, "validation_fraction": lambda d: 0.4,
         "refit": lambda d: "scratch", "lam": lambda d: 0.8, "C": lambda d: 1.0,
         "output_init": lambda d: "zeros"}
# keys that change how a model is computed, not what it learns: they must reach the model
# and leave its predictions as they were (up to the order of floating-point sums)
COMPUTE_ONLY = {"shards": lambda d: 2}
TRAINING = {"epochs": 4, "batch_size": 32, "patience": 2}
# where a key shows only in some training: patience, when no epoch after the first improves;
# epochs, when early stopping does not end the training first
CONTEXT = {"patience": {"min_delta": 10.0}, "epochs": {"patience": 100}}


def accepted_keys(name):
    training = {f for f in config.TrainingSpec.__dataclass_fields__}
    return sorted(set(models.MODELS[name].defaults) | training)


def outcome(exp, prices, name):
    run = walkforward.run_experiment(exp, prices=prices, progress=False)
    p = run.predictions
    # the predictions, and how the training went (early stopping restores the best epoch)
    return p[p.model == name].y_pred.to_numpy(), [f.get("history") for f in
                                                  run.models[name].folds]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(models.MODELS))
def test_every_key_of_a_models_table_changes_its_training_or_is_refused(name, short_prices):
    # something to learn: a network that finds nothing keeps its untrained weights, and an
    # autoregression chooses no lag, whatever their settings say
    from forecast.power import plant
    short_prices = plant(short_prices, "linear", 0.5, seed=1)[0]
    targets = getattr(models.MODELS[name], "targets", None) or ("return",)
    target = "return" if "return" in targets else targets[0]
    base = config.from_dict({
        "name": "keys", "seed": 3, "data": {"source": "sample", "ticker": "^GSPC"},
        "features": {"lookback": 5, "target": target}, "split": {"initial_train": 200, "folds": 1,
                                               "test_size": 30},
        "training": TRAINING, "models": {"naive": {}, name: {}}})
    before = {}
    for key in accepted_keys(name):
        if key in COMPUTE_ONLY:
            value = COMPUTE_ONLY[key](models.MODELS[name].defaults.get(key))
            exp = config.replace(base, models={"naive": {}, name: {key: value}})
            model = models.create(name, {key: value})
            model.model = model.build(5, 4)
            assert value in {getattr(layer, key, None) for layer in model.model.layers}
            before.setdefault((), outcome(base, short_prices, name))
            np.testing.assert_allclose(outcome(exp, short_prices, name)[0], before[()][0],
                                       rtol=1e-6)
            continue
        assert key in OTHER, f"{name} accepts {key}: add a value for it to OTHER"
        value = OTHER[key](models.MODELS[name].defaults.get(key))
        context = {f"training.{k}": v for k, v in CONTEXT.get(key, {}).items()}
        try:
            exp = config.replace(base, models={"naive": {}, name: {key: value}}, **context)
        except ForecastError as e:
            assert "\n" not in str(e) and key in str(e)
            continue
        ctx = tuple(context.items())
        if ctx not in before:
            before[ctx] = outcome(config.replace(base, **context), short_prices, name)
        after = outcome(exp, short_prices, name)
        changed = not np.allclose(before[ctx][0], after[0]) or before[ctx][1] != after[1]
        assert changed, f"[models.{name}] {key} = {value!r} is accepted but changes nothing"


def test_a_per_model_validation_fraction_is_refused_with_where_it_belongs():
    with pytest.raises(ForecastError, match=r"\[models.single_lstm\]: validation_fraction "
                       r".*put it in \[training\]"):
        config.from_dict({"models": {"single_lstm": {"validation_fraction": 0.4}}})
    with pytest.raises(ForecastError, match="naive trains no network"):
        config.from_dict({"models": {"naive": {"epochs": 3}}})
