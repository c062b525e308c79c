"""Sweeps on a real multi-node Ray cluster inside this machine (ray.cluster_utils.Cluster):
runs spread over the nodes, and a node lost mid-sweep has its run done elsewhere, with the
predictions of a plain ``forecast run``.

Skipped when Ray is missing, unless FORECAST_REQUIRE_RAY=1 (CI), where that is a failure.
"""
import json
import threading
import time
from pathlib import Path

import pytest

from forecast import cli


@pytest.fixture(scope="module")
def cluster(ray_module):
    """A head node and a second node, one CPU each, and this process connected to them."""
    ray = ray_module
    from ray.cluster_utils import Cluster
    import forecast
    if ray.is_initialized():
        ray.shutdown()
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, log_to_driver=False,
             runtime_env={"py_modules": [str(Path(forecast.__file__).parent)]})
    yield c
    ray.shutdown()
    c.shutdown()


def sweep(config, out, *grid):
    return cli.main(["sweep", str(config), "--quiet", "--executor", "ray", "--out", str(out),
                     "--grid", *grid])


def summary(out):
    [path] = Path(out).glob("*/sweep-*/summary.json")
    return path.parent, json.loads(path.read_text())


def assert_like_forecast_run(config, out, folder, entry, tmp_path):
    """The sweep's run has the predictions of ``forecast run`` with the same seed."""
    here = tmp_path / f"plain-{entry['settings']['seed']}"
    assert cli.main(["run", str(config), "--quiet", "--seed", str(entry["settings"]["seed"]),
                     "--out", str(here)]) == 0
    [plain] = here.glob("*/*/predictions.csv")
    swept = folder / entry["run_dir"] / "predictions.csv"
    assert swept.read_bytes() == plain.read_bytes()


@pytest.mark.slow
def test_runs_spread_over_the_nodes_with_the_predictions_of_forecast_run(
        cluster, tiny_toml_file, tmp_path):
    config = tiny_toml_file("spread")
    assert sweep(config, tmp_path / "out", "seed=1,2") == 0
    folder, s = summary(tmp_path / "out")
    assert s["counts"]["done"] == 2
    nodes = {r["node"] for r in s["runs"]}
    assert len(nodes) == 2 and None not in nodes, "both runs ran on one node"
    for entry in s["runs"]:
        assert_like_forecast_run(config, tmp_path / "out", folder, entry, tmp_path)


@pytest.mark.slow
def test_a_node_lost_mid_sweep_has_its_run_done_on_another(cluster, tiny_toml_file,
                                                            tmp_path):
    from ray.util.state import list_tasks
    config = tiny_toml_file("lost")
    # runs long enough (many epochs, no early stop) to be caught in progress on the node:
    # a tiny run could finish between the check below and the node's removal
    config.write_text(config.read_text().replace("epochs = 1", "epochs = 600\npatience = 600"))
    doomed = next(n for n in cluster.list_all_nodes() if not n.is_head())
    codes = []
    sweeping = threading.Thread(target=lambda: codes.append(
        sweep(config, tmp_path / "out", "seed=3,4")))
    sweeping.start()
    deadline = time.time() + 120
    while time.time() < deadline:  # until a run is in progress on the doomed node
        running = list_tasks(filters=[("state", "=", "RUNNING"),
                                      ("node_id", "=", doomed.node_id)])
        if any(t.name.endswith("run_job") for t in running):
            break
        time.sleep(0.2)
    else:
        pytest.fail("no run started on the second node")
    cluster.remove_node(doomed)
    sweeping.join(timeout=400)
    assert codes == [0]
    folder, s = summary(tmp_path / "out")
    assert s["counts"]["done"] == 2 and s["counts"]["failed"] == 0
    assert {r["node"] for r in s["runs"]} == {cluster.head_node.node_id}
    for entry in s["runs"]:
        assert_like_forecast_run(config, tmp_path / "out", folder, entry, tmp_path)
