"""The Bayesian model: its likelihood, structure, the BCG reference fit (from the command line)
and reproducibility."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from paradox.cli import main
from paradox.meta.example import EXAMPLE_PATH
from paradox.meta.model import MetaPriors, build_model, fit, study_log_likelihood
from paradox.meta.sensitivity import tau_prior_alternatives
from paradox.meta.table import load_study_table
from paradox.models.sampling import assert_converged
from paradox.settings import DATA_DIR, SamplerSettings

BCG = DATA_DIR / "reference" / "bcg.csv"
BCG_REML = {"mu": -0.7145, "se": 0.1798, "tau2": 0.3132}  # metafor rma, REML (REFERENCES.md)
#: Small but converging runs: these tests run in CI.
SMALL = dict(draws=500, tune=500, chains=2)
OUTPUTS = ["effect_sizes.csv", "classical.csv", "summary.csv", "summary.json", "pooled.csv", "bias.csv",
           "leave_one_out.csv", "posterior.nc", "forest.png", "funnel.png", "convergence.txt", "conclusions.txt"]


def test_study_log_likelihood_is_the_multivariate_normal():
    """Two studies (3 effects and 1): each study's effects are normal with covariance diag(v + tau^2) + sigma^2."""
    resid = np.array([0.3, -0.1, 0.2, 0.5])
    variance = np.array([0.04, 0.09, 0.05, 0.2])
    membership = np.array([[1.0, 1, 1, 0], [0, 0, 0, 1]])
    sigma2 = 0.3**2
    cov = np.diag(variance[:3]) + sigma2
    expected = [stats.multivariate_normal(np.zeros(3), cov).logpdf(resid[:3]),
                stats.norm(0, np.sqrt(variance[3] + sigma2)).logpdf(resid[3])]
    assert study_log_likelihood(resid, variance, sigma2, membership) == pytest.approx(expected, rel=1e-12)


def test_model_structure():
    example = load_study_table(EXAMPLE_PATH)
    plain = build_model(example)
    assert {rv.name for rv in plain.free_RVs} == {"mu", "tau_signed", "sigma_study_signed", "z_new"}
    assert plain.named_vars_to_dims["tau"] == ("outcome",)
    regression = build_model(example, regression=True)
    assert regression.coords["moderated"] == ("satisfaction",)  # the outcome with the most effects
    assert regression.coords["term"] == ("design[longitudinal]", "subjects[non_students]",
                                         "service[restaurant]", "service[other]")
    bcg = load_study_table(BCG, measure="log_rr", moderators=[], ignore=["latitude"])
    assert "sigma_study" not in build_model(bcg).named_vars  # one effect per study: no study level


def test_prior_sensitivity_set():
    labels = [p.tau_label for p in tau_prior_alternatives(MetaPriors())]
    assert labels == ["HalfNormal(0.5)", "HalfNormal(0.25)", "HalfNormal(1)", "HalfCauchy(0.5)"]


@pytest.fixture(scope="module")
def bcg_run(tmp_path_factory):
    """The BCG reference check, run from the command line as a user would."""
    out = tmp_path_factory.mktemp("bcg") / "out"
    status = main(["meta", str(BCG), "--measure", "log_rr", "--no-moderators", "--ignore", "latitude",
                   "--no-prior-sensitivity", "--draws", str(SMALL["draws"]), "--tune", str(SMALL["tune"]),
                   "--chains", str(SMALL["chains"]), "--out", str(out)])
    assert status == 0
    return out


def test_bcg_bayesian_and_reml_match_the_published_fit(bcg_run):
    """Priors: mu ~ Normal(0, 2), tau ~ HalfNormal(1) (MetaPriors.for_measure('log_rr')). The posterior
    mean of mu must be within 0.05 of the REML -0.7145; REML itself must match mu, SE and tau^2."""
    summary = json.loads((bcg_run / "summary.json").read_text())
    assert summary["priors"].startswith("mu ~ Normal(0, 2); tau ~ HalfNormal(1)")
    mu = next(p for p in summary["parameters"] if p["parameter"] == "mu[all]")
    assert mu["mean"] == pytest.approx(BCG_REML["mu"], abs=0.05)
    assert mu["r_hat"] < 1.01
    (reml,) = summary["classical"]
    assert reml["tau2"] == pytest.approx(BCG_REML["tau2"], abs=0.005)
    assert reml["mu"] == pytest.approx(BCG_REML["mu"], abs=0.001)
    assert reml["se"] == pytest.approx(BCG_REML["se"], abs=0.001)
    assert (bcg_run / "conclusions.txt").read_text().startswith("pooled effect on all: negative")


def test_command_writes_every_output(bcg_run):
    for name in OUTPUTS:
        assert (bcg_run / name).stat().st_size > 0, name
    summary = pd.read_csv(bcg_run / "summary.csv")
    assert list(summary.columns[:8]) == ["parameter", "mean", "sd", "ci_lower", "ci_upper", "r_hat", "ess_bulk", "ess_tail"]
    assert "passed" in (bcg_run / "convergence.txt").read_text()


def test_effect_estimates_shrink_towards_the_pooled_effect(bcg_run):
    """Each trial's estimated effect lies between its reported effect and the pooled mean."""
    posterior = xr.open_datatree(bcg_run / "posterior.nc", engine="h5netcdf")["posterior"]
    theta = posterior["theta"].mean(("chain", "draw")).to_numpy()
    mu = float(posterior["mu"].mean())
    effects = pd.read_csv(bcg_run / "effect_sizes.csv")
    low, high = np.minimum(effects["yi"], mu), np.maximum(effects["yi"], mu)
    assert np.all((theta > low - 0.02) & (theta < high + 0.02))


def test_bayesian_leave_one_out_agrees_with_reml_refits(bcg_run):
    """PSIS weights 1/p(y_study | parameters): leaving a trial out moves mu the way an REML refit does."""
    table = pd.read_csv(bcg_run / "leave_one_out.csv", dtype={"left_out": str})
    reml = table[table["method"] == "REML refit"].set_index("left_out")["change_in_mu"]
    psis = table[table["method"] == "Bayesian PSIS"].set_index("left_out")
    assert psis["reliable"].all()
    assert psis["change_in_mu"].to_numpy() == pytest.approx(reml[psis.index].to_numpy(), abs=0.02)


def test_same_seed_same_numbers():
    table = load_study_table(BCG, measure="log_rr", moderators=[], ignore=["latitude"])
    settings = SamplerSettings.from_env().with_(draws=100, tune=100, chains=2)
    first, second = fit(table, settings), fit(table, settings)
    for name in ("mu", "tau", "theta"):
        np.testing.assert_array_equal(first["posterior"][name].to_numpy(), second["posterior"][name].to_numpy())


def test_strict_exits_3_when_sampling_did_not_converge(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["meta", str(BCG), "--measure", "log_rr", "--no-moderators", "--ignore", "latitude",
                   "--no-prior-sensitivity", "--draws", "20", "--tune", "20", "--chains", "2", "--strict",
                   "--out", str(out)])
    assert status == 3
    assert "convergence" in capsys.readouterr().err
    assert "False" in (out / "convergence.txt").read_text()  # written, for diagnosis


@pytest.mark.slow
def test_example_reproduces_the_qualitative_findings(tmp_path):
    """The simulated example (true effects in paradox.meta.example.TRUTH) with every step of the command."""
    out = tmp_path / "out"
    assert main(["meta", str(EXAMPLE_PATH), "--out", str(out)]) == 0
    conclusions = (out / "conclusions.txt").read_text()
    assert "pooled effect on satisfaction: positive" in conclusions
    for outcome in ("repurchase", "word_of_mouth", "image"):
        assert f"pooled effect on {outcome}: not distinguishable" in conclusions
    assert "design[longitudinal] on satisfaction: negative" in conclusions
    assert "verdicts under the four tau priors: unchanged" in conclusions
    assert_converged(xr.open_datatree(out / "posterior_regression.nc", engine="h5netcdf"), ["mu", "tau", "beta"])
