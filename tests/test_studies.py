"""paradox.studies: simulation studies on Dask distributed.

The expensive tests share one small study (2 scenarios x 2 replicates, the Gaussian cell model, which
compiles once per worker) and run it two ways: all of it in one go on a real `dask scheduler` with two
`dask worker` processes started here, and resumed on a LocalCluster of 1 worker (half of it, then the rest).
The rows must agree task by task: seeds come from the task, not from the worker or the order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from paradox.design import RECOVERY_LEVELS
from paradox.settings import SamplerSettings
from paradox.studies import (NOT_CONVERGED, GaussianCells, IntegratedOrdinal, ResultStore, Scenario, Study,
                             StudyMismatch, design_for, run_study, task_seeds, true_deltas)
from paradox.studies.fit_task import TIMING_COLUMNS
from paradox.studies.runner import local_cluster

DASK = Path(sys.executable).with_name("dask")
#: Generous bounds for a loaded 2-core machine (a worker's first model compiles with a cold cache).
CLUSTER_TIMEOUT = 120


def _settings(**sizes) -> SamplerSettings:
    env = {"PARADOX_MODE": "fast", **{k: v for k, v in os.environ.items() if k == "PARADOX_SEED"}}
    return SamplerSettings.from_env(env).with_(**sizes)


def _study(design, replicates: int, method=GaussianCells(), name: str = "test") -> Study:
    return Study(name=name, design=design, replicates=replicates, method=method,
                 scenarios=(Scenario.uniform("null", design, 0.0, 0.0), Scenario.uniform("claim", design, 0.8, -0.8)),
                 settings=_settings(draws=1000, tune=500, chains=2))  # enough for most fits to pass the checks


# --- cheap: no sampling ---------------------------------------------------------------------------------

def test_task_seeds_depend_on_the_task_only(design):
    tasks = _study(design, 3).tasks()
    assert len({(t.data_seed, t.sampler_seed) for t in tasks}) == len(tasks) == 6
    other_method = {t.key: t for t in _study(design, 5, method=IntegratedOrdinal(pooled=False)).tasks()}
    for task in tasks:  # more replicates, another method: the same task has the same seeds
        assert (other_method[task.key].data_seed, other_method[task.key].sampler_seed) == (task.data_seed, task.sampler_seed)
    assert task_seeds(1, "null", 0) != task_seeds(2, "null", 0)
    assert [t.replicate for t in tasks] == [0, 0, 1, 1, 2, 2]  # replicate-major


def test_a_scenario_replaces_the_effects_and_nothing_else(design):
    changed = design_for(design, Scenario("one", (("severity", 0.3, -0.2),)))
    assert changed.simulation.effects["severity"] == dict(zip(RECOVERY_LEVELS, (0.3, -0.2)))
    assert changed.simulation.effects["stability"] == design.simulation.effects["stability"]
    assert changed.experiments == design.experiments and changed.simulation.cutpoints == design.simulation.cutpoints
    smaller = design_for(design, Scenario("small", (), n_per_cell=20))
    assert [e.n_per_cell for e in smaller.experiments] == [20] * len(design.experiments)
    assert smaller.simulation.effects == design.simulation.effects
    with pytest.raises(ValueError, match="moderators the design does not have.*'sever'"):
        design_for(design, Scenario("typo", (("sever", 0.3, -0.2),)))
    with pytest.raises(ValueError, match="names the files of the result store"):
        Scenario("a/b", ())


def test_true_deltas_in_scale_points(design):
    null = true_deltas(design_for(design, Scenario.uniform("null", design, 0.0, 0.0)), "points")
    assert all(v == (0.0, 0.0) for v in null.values())
    claim = true_deltas(design_for(design, Scenario.uniform("claim", design, 0.8, -0.8)), "points")
    fav, unfav = claim["severity"]
    # Each of the 6 thresholds passed with probability at most 1/4 more per logit: a shift of 0.8 logits
    # moves the mean answer by less than 6 * 0.8 / 4 = 1.2 points, in its own direction.
    assert 0 < fav < 1.2 and -1.2 < unfav < 0


def test_store_refuses_another_study_and_a_second_write(design, tmp_path):
    study = _study(design, 2)
    store = ResultStore(tmp_path, study)
    task = study.tasks()[0]
    store.write(task, [{"scenario": task.scenario, "replicate": 0, "moderator": "m"}])
    with pytest.raises(FileExistsError, match="fitted twice"):
        store.write(task, [{}])
    assert ResultStore(tmp_path, _study(design, 7)).done() == {task.key}  # more replicates: same study
    with pytest.raises(StudyMismatch, match="different study"):
        ResultStore(tmp_path, _study(design, 2, method=GaussianCells(pooled=False)))
    assert not list(tmp_path.rglob("*.partial"))


def test_a_study_with_a_scenario_added_keeps_the_stored_rows(design, tmp_path):
    """A task's rows depend on its own scenario alone (seeds from the master seed, the scenario's name and the
    replicate), so the same study with a scenario more takes the store over, and its study.json becomes the larger
    study's; a scenario changed, or one the store holds and the study drops, makes another study."""
    study = _study(design, 2)
    task = study.tasks()[0]
    ResultStore(tmp_path, study).write(task, [{"scenario": task.scenario, "replicate": 0, "moderator": "m"}])
    changed = dataclasses.replace(study, scenarios=(Scenario.uniform("null", design, 0.1, 0.0), *study.scenarios[1:]))
    with pytest.raises(StudyMismatch, match="different study"):
        ResultStore(tmp_path, changed)
    more = dataclasses.replace(study, scenarios=(*study.scenarios, Scenario.uniform("extra", design, 0.5, -0.5)))
    assert ResultStore(tmp_path, more).done() == {task.key}
    assert (tmp_path / "study.json").read_text() == more.fingerprint_json()
    with pytest.raises(StudyMismatch, match="different study"):
        ResultStore(tmp_path, study)


def test_a_change_to_the_model_code_is_another_study(design, monkeypatch):
    """The rows depend on the model's code, not only on the method's name: a stored study whose model has
    changed since (here the quadrature's reach, which sets its nodes) is refused, not read."""
    from paradox.models import quadrature

    method = IntegratedOrdinal(pooled=False)
    before = _study(design, 2, method=method).fingerprint()
    monkeypatch.setattr(quadrature, "REACH", 7.0)
    after = _study(design, 2, method=method).fingerprint()
    assert before["model"] != after["model"]
    assert {k: v for k, v in before.items() if k != "model"} == {k: v for k, v in after.items() if k != "model"}


@pytest.mark.parametrize("module", ["paradox.studies", "paradox.calibration", "paradox.planning"])
def test_importing_a_study_leaves_pytensor_unimported(module):
    """Workers unpickle tasks (importing the modules of the studies' objects: paradox.studies, and the calibration
    and planning studies' scenarios) before they claim a compile directory; pytensor imported first fails every
    task (it did: calibration.py imported VERDICTS_POOLED from paradox.hypotheses, which imports pymc)."""
    code = f"import sys, {module}; print('pytensor' in sys.modules, 'pymc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_live_processes_never_share_a_compile_directory(tmp_path):
    code = ("import os, sys, time; from paradox.studies.compiledir import claim_compile_dir; "
            "print(claim_compile_dir(), os.environ['PYTENSOR_FLAGS'], flush=True); time.sleep(float(sys.argv[1]))")
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={tmp_path},floatX=float64"}
    (tmp_path / "numba" / "sub").mkdir(parents=True)  # the starting process's numba cache
    (tmp_path / "numba" / "sub" / "entry.nbi").write_text("compiled")
    first = subprocess.Popen([sys.executable, "-c", code, "30"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        claimed_first = first.stdout.readline().split()
        claimed_second = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True, text=True,
                                        env=env, check=True).stdout.split()
    finally:
        first.kill()
        first.wait()
    assert claimed_first[0] == str(tmp_path / "dask-worker-0") and claimed_second[0] == str(tmp_path / "dask-worker-1")
    assert claimed_second[1] == f"base_compiledir={tmp_path / 'dask-worker-1'},floatX=float64"
    later = subprocess.run([sys.executable, "-c", code, "0"], capture_output=True, text=True, env=env, check=True)
    assert later.stdout.split()[0] == str(tmp_path / "dask-worker-0")  # freed by the dead process: reused
    # Each slot took the starting process's numba cache entries when claimed; copies, not links.
    for slot in ("dask-worker-0", "dask-worker-1"):
        copied = tmp_path / slot / "numba" / "sub" / "entry.nbi"
        assert copied.read_text() == "compiled" and not copied.is_symlink()
    # An entry the starting process compiled after the slot was made reaches it at the slot's next claim.
    (tmp_path / "numba" / "sub" / "later.nbi").write_text("compiled later")
    subprocess.run([sys.executable, "-c", code, "0"], capture_output=True, text=True, env=env, check=True)
    assert (tmp_path / "dask-worker-0" / "numba" / "sub" / "later.nbi").read_text() == "compiled later"


# --- one process ------------------------------------------------------------------------------------------

def _normal_sample(y):
    with pm.Model(coords={"level": ["mean"]}) as model:
        data = pm.Data("y_obs", np.asarray(y, dtype=float))
        mu = pm.Normal("mu", 0.0, 10.0, dims="level")
        pm.Normal("y", mu[0], pm.HalfNormal("sigma", 5.0), observed=data)
    return model


def test_one_compiled_model_fits_data_of_every_size():
    """A worker compiles a model once for data of any size (pm.Data have no static shape): data of another
    length are sampled on the compiled model with the data swapped in, and give the draws that a model
    compiled for them gives, bit for bit."""
    from paradox.studies.compiled import forget_compiled, sample

    settings = _settings(draws=200, tune=200, chains=2)
    short, long = _normal_sample([1.0, 2.5, 0.5]), _normal_sample(np.linspace(-1.0, 4.0, 40))
    forget_compiled()
    try:
        first, reused = sample(short, settings, seed=3), sample(long, settings, seed=3)
        forget_compiled()
        fresh = sample(long, settings, seed=3)
    finally:
        forget_compiled()
    assert first.compiled and not reused.compiled and fresh.compiled
    for name in ("mu", "sigma"):
        np.testing.assert_array_equal(reused.posterior["posterior"][name], fresh.posterior["posterior"][name])
    assert float(reused.posterior["posterior"]["mu"].mean()) == pytest.approx(1.5, abs=0.3)  # the long data's mean


def test_a_plan_compiles_one_model_for_every_cell_size(design):
    """The plan's model (ObservedPatterns: the observed answer patterns, padded to a power of two) has one
    compiled-model key for surveys of every cell size, so a worker compiles it once per plan, not once per
    padded length."""
    from paradox.cache import model_fingerprint
    from paradox.studies.fits import ObservedPatterns
    from paradox.studies.scenarios import design_for, simulated_survey

    alone = dataclasses.replace(design, experiments=design.experiments[:1])
    method = ObservedPatterns(pooled=False)
    small, large = (method.build(simulated_survey(design_for(alone, Scenario(f"n{n}", (), n_per_cell=n)), 1), alone)
                    for n in (20, 200))
    assert len(small.coords["pattern"]) < len(large.coords["pattern"])
    assert model_fingerprint(small, data_values=False) == model_fingerprint(large, data_values=False)


# --- a real cluster ---------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(logs: Path):
    """`dask scheduler` and two `dask worker` processes on localhost, one thread each; torn down after."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    processes = []

    def start(name, *args):
        with open(logs / f"{name}.log", "w") as log:
            processes.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        for i in range(2):
            start(f"worker-{i}", "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                  "--name", f"w{i}", "--host", "127.0.0.1")
        with Client(address, timeout=CLUSTER_TIMEOUT) as client:
            client.wait_for_workers(2, timeout=CLUSTER_TIMEOUT)
        yield address
    except Exception:
        for path in sorted(logs.glob("*.log")):
            print(f"--- {path.name}\n{path.read_text()[-3000:]}")
        raise
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _compile_here(study: Study) -> None:
    """Compile the study's model in this process first, as a study's own starting process usually has (README,
    "Simulation studies on Dask"): each worker then takes this process's numba cache when it claims its compile
    directory (paradox.studies.compiledir) and compiles warm, in about 10 s instead of 40-90 s cold. Every
    worker still compiles the model once (test_each_worker_compiles_once)."""
    from paradox.studies.compiled import compiled_for
    from paradox.studies.scenarios import simulated_survey

    task = study.tasks()[0]
    compiled_for(study.method.build(simulated_survey(design_for(study.design, study.scenario(task.scenario)),
                                                      task.data_seed), study.design))


@pytest.fixture(scope="module")
def runs(design, tmp_path_factory):
    """The same study in one go on the dask CLI cluster, and resumed on a 1-worker LocalCluster: half of it,
    then, on the same cluster, the rest. The CLI cluster is gone before the LocalCluster starts, so its
    worker reuses a compile directory of theirs (a warm cache) instead of compiling a cold one; and the
    resumed run is one cluster, not two, because each new worker process compiles the model again (15-30 s
    each, measured 2026-11-27)."""
    resumed, one_go = tmp_path_factory.mktemp("resumed"), tmp_path_factory.mktemp("one-go")
    _compile_here(_study(design, 2))
    with dask_cluster(tmp_path_factory.mktemp("dask-logs")) as address:
        whole = run_study(_study(design, 2), one_go, scheduler=address, progress=False)
    again = run_study(_study(design, 2), one_go, workers=2, progress=False)  # nothing to fit: no cluster starts
    with local_cluster(1) as cluster:  # the one run_study starts itself, kept for all three calls
        first_half = run_study(_study(design, 1), resumed, scheduler=cluster.scheduler_address, progress=False)
        rest = run_study(_study(design, 2), resumed, scheduler=cluster.scheduler_address, progress=False)
        # 10 draws per chain cannot give the bulk ESS of 100 per chain the checks ask (ESS is at most a few
        # times the draws), with 2 chains or with the refit's 4: every fit fails twice, by arithmetic. (Short
        # trajectories: a step size tuned in 10 steps would otherwise run to nutpie's 1,023 steps per draw.)
        starved = dataclasses.replace(_study(design, 1, name="starved"),
                                      settings=_settings(draws=10, tune=10, chains=2, max_tree_depth=3))
        unconverged = run_study(starved, tmp_path_factory.mktemp("starved"), scheduler=cluster.scheduler_address,
                                progress=False)
    return first_half, rest, whole, again, unconverged


@pytest.mark.slow
def test_resume_fits_each_task_once(runs):
    first_half, rest, whole, again, _ = runs
    assert sorted(first_half.fitted) == ["claim__r00000", "null__r00000"] and not first_half.skipped
    assert sorted(rest.skipped) == sorted(first_half.fitted)
    assert sorted(rest.fitted) == ["claim__r00001", "null__r00001"]
    assert sorted(whole.fitted) == sorted(first_half.fitted + rest.fitted)
    assert again.fitted == [] and sorted(again.skipped) == sorted(whole.fitted)  # nothing refitted
    assert not list(whole.store.directory.rglob("*.partial"))


@pytest.mark.slow
def test_rows_do_not_depend_on_workers_or_resuming(runs, design):
    first_half, rest, whole, _, _ = runs
    resumed, one_go = rest.table(), whole.table()
    assert len(one_go) == 4 * len(design.moderators)
    # Each task ran in different worker processes in the two runs (dask CLI workers; a LocalCluster's
    # worker), so nothing below can agree by running in the same process.
    exact = ["scenario", "replicate", "moderator", "data_seed", "sampler_seed", "verdict", "covers_fav",
             "covers_unfav", "divergences", "true_delta_fav", "true_delta_unfav"]
    pd.testing.assert_frame_equal(resumed[exact], one_go[exact])
    numbers = [c for c in one_go.columns if c not in exact + list(TIMING_COLUMNS) + ["study", "method"]]
    # Equal up to rounding: numba code compiled afresh and code loaded from its cache can differ in the last
    # bits (README, "Where randomness is decided"), and 400 MCMC iterations carry that to 1e-9 - 1e-5 here
    # (measured: 2e-6 in a posterior mean, 5e-5 in an R-hat, when one run compiled cold and the other not).
    np.testing.assert_allclose(resumed[numbers].to_numpy(float), one_go[numbers].to_numpy(float), rtol=1e-3, atol=1e-6)


@pytest.mark.slow
def test_each_worker_compiles_once(runs):
    _, _, whole, _, _ = runs
    per_task = whole.table().drop_duplicates(["scenario", "replicate"])
    compiled = per_task.groupby("worker")["compiled"].sum()
    assert (compiled == 1).all(), compiled  # every other fit on a worker reused its compiled model
    reused = per_task[~per_task["compiled"]]
    assert len(reused) == 4 - len(compiled) >= 2
    assert (reused["prepare_s"] < per_task[per_task["compiled"]]["prepare_s"].min()).all()


@pytest.mark.slow
def test_rows_are_sound(runs):
    table = runs[2].table()
    claim, null = table[table["scenario"] == "claim"], table[table["scenario"] == "null"]
    assert (null["true_delta_fav"] == 0).all() and (claim["true_delta_fav"] > 0).all()
    for short in ("fav", "unfav"):
        assert (table[f"delta_{short}_lower"] < table[f"delta_{short}_mean"]).all()
        assert (table[f"delta_{short}_mean"] < table[f"delta_{short}_upper"]).all()
        within = (table[f"delta_{short}_lower"] <= table[f"true_delta_{short}"]) & (
            table[f"true_delta_{short}"] <= table[f"delta_{short}_upper"])
        assert (within == table[f"covers_{short}"]).all()
    assert set(table["verdict"]) <= {"claim holds", "paradox at both levels", "moderation without a paradox",
                                     "no paradox", "inconclusive", "not converged"}
    assert (table["verdict"] == NOT_CONVERGED).equals(~table["converged"])
    assert ((table["p_claim"] >= 0) & (table["p_claim"] <= 1)).all()
    stored = json.loads(next((runs[2].store.directory / "rows").glob("*.json")).read_text())
    assert len(stored) == 4 and {"draws", "posterior"}.isdisjoint(stored[0])  # small rows, no draws


@pytest.mark.slow
def test_a_fit_failing_its_checks_is_refitted_once_and_then_gives_no_verdict(runs):
    table = runs[4].table()
    assert len(table) == 2 * len(runs[0].table()["moderator"].unique())
    assert table["refitted"].all() and not table["converged"].any()
    assert (table["verdict"] == NOT_CONVERGED).all()
    assert (table["min_ess_bulk"] < 400).all()  # the second fit's checks: 4 chains of 10 draws


# --- slow ---------------------------------------------------------------------------------------------------

DRIVER = """
import sys
from paradox.design import load_design
from paradox.settings import SamplerSettings
from paradox.studies import GaussianCells, Scenario, Study, StudyInterrupted, run_study
if __name__ == "__main__":
    design = load_design()
    study = Study(name="ctrl-c", design=design, replicates=200, method=GaussianCells(),
                  scenarios=(Scenario.uniform("null", design, 0.0, 0.0),),
                  settings=SamplerSettings(draws=500, tune=500, chains=2))
    try:
        run_study(study, sys.argv[1], workers=1, progress=False)
    except StudyInterrupted as stop:
        print(stop, file=sys.stderr)
        sys.exit(130)
"""


@pytest.mark.slow
def test_ctrl_c_keeps_finished_rows_and_resumes(tmp_path):
    out = tmp_path / "study"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    process = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 300
        while len(list((out / "rows").glob("*.json"))) < 2:  # the signal comes after real fits, never on a timer
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "run the same study again to resume" in stderr
    kept = list((out / "rows").glob("*.json"))
    assert 2 <= len(kept) < 200 and not list(out.rglob("*.partial"))
    for path in kept:
        assert len(json.loads(path.read_text())) == 4


@pytest.mark.slow
def test_the_srp_integrated_model_runs_as_a_study(design, tmp_path):
    """Over the design's pattern grid the counts are pm.Data: one worker compiles once for both surveys."""
    study = _study(design, 1, method=IntegratedOrdinal())
    table = run_study(study, tmp_path, workers=1, progress=False).table()
    assert len(table) == 2 * len(design.moderators)
    assert table.drop_duplicates(["scenario", "replicate"])["compiled"].tolist() == [True, False]
    claim = table[table["scenario"] == "claim"]
    assert (claim["true_delta_fav"] == 0.8).all() and (claim["delta_fav_mean"] > 0).all()
