"""`paradox plan`: the design prior, the summary arithmetic, Welch's power against Cohen's table, bad input
(status 2, nothing written), the observed-pattern model against the grid model, and one small real plan on Dask."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from paradox import planning, verdict
from paradox.cli import main
from paradox.models import srp
from paradox.models.sampling import FORWARD_MODE
from paradox.settings import ROOT
from paradox.studies import NOT_CONVERGED, simulated_survey

ORIGINALS = ROOT / "data" / "examples" / "replication_originals.csv"


# --- the summary arithmetic -------------------------------------------------------------------------------------

@pytest.mark.parametrize("d, n", [(0.2, 393), (0.5, 64), (0.8, 26)])
def test_welch_power_matches_cohens_sample_sizes(d, n):
    """Cohen (1992, Psychological Bulletin 112(1), 155-159, Table 2): a two-sample t-test at two-sided alpha
    0.05 needs n = 393, 64, 26 per group for power 0.80 at d = 0.2, 0.5, 0.8 (his table rounds with a normal
    approximation: exactly, 393 gives 0.7996). Two-sided 0.05 is one-sided 0.025 up to the other tail's mass,
    which the two-sided power of paradox.replication (a separate implementation) includes."""
    from paradox.replication.criteria import _power_t

    assert planning.welch_power(d, n, alpha=0.025) == pytest.approx(0.80, abs=0.01)
    assert planning.welch_power(d, n - 1, alpha=0.025) < 0.80
    assert planning.welch_power(d, n, alpha=0.025) == pytest.approx(_power_t(d, n / 2, 2 * n - 2, 0.05), abs=1e-6)


def test_welch_power_at_zero_effect_is_the_level():
    assert planning.welch_power(0.0, 50) == pytest.approx(planning.WELCH_ALPHA, abs=1e-12)


def _rows(verdicts_by_size: dict[int, list[str]], moderator="severity") -> pd.DataFrame:
    rows = []
    for size, verdicts in verdicts_by_size.items():
        for i, v in enumerate(verdicts):
            rows.append({"moderator": moderator, "n_per_cell": size, "simulation": i, "verdict": v,
                         "true_delta_fav": 1.3, "refitted": v == NOT_CONVERGED, "p_claim_mcse": 0.01,
                         "sample_s": 1.0})
    return pd.DataFrame(rows)


def test_rates_their_standard_errors_and_the_smallest_size(design):
    claim, none = verdict.CLAIM, verdict.INCONCLUSIVE
    rows = _rows({40: [claim] * 3 + [none] * 7, 80: [claim] * 7 + [none] * 3, 160: [claim] * 9 + [verdict.NO_PARADOX]})
    prior = planning.priors_from_design(design, ["H1"])
    table = planning.assurance_table(rows, prior, design)
    assert table["n_per_cell"].tolist() == [40, 80, 160]
    assert table["assurance"].tolist() == pytest.approx([0.3, 0.7, 0.9])
    # sqrt(p (1 - p) / (n - 1)) for a share p of n: the SD with n - 1, over sqrt(n)
    assert table["assurance_mc_se"].tolist() == pytest.approx([math.sqrt(p * (1 - p) / 9) for p in (0.3, 0.7, 0.9)])
    assert table["rate_conclusive"].tolist() == pytest.approx([0.3, 0.7, 1.0])
    assert table["rate_no_paradox"].tolist() == pytest.approx([0.0, 0.0, 0.1])
    assert planning.smallest_size(table, 0.8) == {"severity": 160}
    assert planning.smallest_size(table, 0.7) == {"severity": 80}
    assert planning.smallest_size(table, 0.95) == {"severity": None}
    d = 1.3 / planning.latent_sd(design)
    assert table["welch_power"].tolist() == pytest.approx([planning.welch_power(d, n) for n in (40, 80, 160)])
    text = planning.summary(table, prior, design, 0.8)
    assert "**160** per cell" in text and "SYNTHETIC" in text
    assert f"2.5 x the original's 120 per cell = 300 per cell" in text


def test_a_fit_that_did_not_converge_is_no_conclusion(design):
    claim = verdict.CLAIM
    rows = _rows({40: [claim] * 8 + [NOT_CONVERGED] * 2})
    prior = planning.priors_from_design(design, ["H1"])
    table = planning.assurance_table(rows, prior, design)
    assert table["assurance"].tolist() == pytest.approx([0.8])
    assert table["rate_conclusive"].tolist() == pytest.approx([0.8])
    assert table["rate_not_converged"].tolist() == pytest.approx([0.2])
    assert table["share_refitted"].tolist() == pytest.approx([0.2])
    assert "NOT CONVERGED 0.20" in planning.summary(table, prior, design, 0.8)


def test_welch_size_is_the_first_size_reaching_the_target(design):
    prior = planning.priors_from_design(design, ["H1"])[0]
    n = planning.welch_size(prior, design, 0.8)
    d = prior.favourable[0] / planning.latent_sd(design)
    assert planning.welch_power(d, n) >= 0.8 > planning.welch_power(d, n - 1)


def test_design_prior_from_the_original_table(design):
    (prior,) = planning.priors_from_original(ORIGINALS, design)
    scale = planning.latent_sd(design)
    # severity: low, means 5.9 (1.0, 30) against 5.3 (1.1, 30): Hedges' g with its SE, times the latent SD
    sp = math.sqrt((1.0 ** 2 + 1.1 ** 2) / 2)
    g = (5.9 - 5.3) / sp * (1 - 3 / (4 * 58 - 1))
    assert prior.moderator == "severity" and prior.original_n_per_cell == 30
    assert prior.favourable[0] == pytest.approx(g * scale, rel=1e-6)
    assert prior.unfavourable[0] < 0 < prior.favourable[1]
    draws = prior.draws(4000, seed=1)
    assert draws.mean(axis=0) == pytest.approx([prior.favourable[0], prior.unfavourable[0]], abs=0.05)
    assert np.array_equal(draws, prior.draws(4000, seed=1))


def test_a_plan_samples_with_nutpie_whatever_the_environment_asks():
    """A plan's fits run as a study (nutpie only): PARADOX_SAMPLER=pymc is named in a warning, not a failure."""
    assert planning.plan_settings({}).nuts_sampler == "nutpie"
    with pytest.warns(UserWarning, match="PARADOX_SAMPLER=pymc does not apply"):
        settings = planning.plan_settings({"PARADOX_SAMPLER": "pymc", "PARADOX_SEED": "7"})
    assert (settings.nuts_sampler, settings.seed) == ("nutpie", 7)
    assert {k: getattr(settings, k) for k in planning.PLAN_DRAWS} == planning.PLAN_DRAWS


def test_observed_pattern_model_has_the_grid_models_log_density(design):
    """The cheap fit: the same log density as the model over every pattern of the grid, at any point."""
    alone = dataclasses.replace(design, experiments=design.experiments[:1])
    survey = simulated_survey(dataclasses.replace(alone, experiments=(dataclasses.replace(alone.experiments[0],
                                                                                          n_per_cell=30),)), 3)
    observed = srp.observed_patterns_model(survey, pooled=False)
    grid = srp.ordinal_model(survey, pooled=False, integrate_respondents=True, patterns=srp.pattern_grid(alone))
    assert len(observed.coords["pattern"]) == len(srp.answer_patterns(survey)[0]) < len(grid.coords["pattern"])
    point = grid.initial_point()
    rng = np.random.default_rng(0)
    point = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in point.items()}
    logp = [m.compile_logp(mode=FORWARD_MODE)(point) for m in (observed, grid)]  # Python mode: nothing compiled
    assert logp[0] == pytest.approx(logp[1], rel=1e-10)


# --- bad input: status 2, nothing written -----------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--sizes", "40,x"], "--sizes '40,x': give whole numbers"),
    (["--sizes", "1,40"], "at least 2 respondents"),
    (["--sizes", "40,40"], "gives a size twice"),
    (["--simulations", "1"], "--simulations must be at least 2"),
    (["--target", "1.2"], "--target must lie between 0 and 1"),
    (["--hypotheses", "H9"], "--hypotheses: unknown 'H9'"),
    (["--effect", "severity=0.5"], "MODERATOR=FAVOURABLE,UNFAVOURABLE"),
    (["--effect", "sever=0.5,0.1"], "no moderator 'sever'"),
    (["--original-n", "30"], "--original-n goes with --effect"),
    (["--effect", "severity=1,0", "--effect", "severity=2,0"], "more than once"),
])
def test_bad_options_are_refused_before_any_fit(tmp_path, capsys, args, message):
    status = main(["plan", "--out", str(tmp_path / "out"), "--fits", str(tmp_path / "fits"), *args])
    assert status == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(moderator=["severity", "stability"]), "only its favourable level"),
    (lambda f: f.assign(moderator=["sev", "sev"]), "no experiment 'sev'"),
    (lambda f: f.drop(columns=["moderator", "level"]), "every contrast needs `moderator`"),
    (lambda f: f.assign(sd_treated=["-1", "1.2"]), "column 'sd_treated'"),
])
def test_a_bad_original_table_names_file_and_column(tmp_path, capsys, edit, message):
    table = tmp_path / "originals.csv"
    edit(pd.read_csv(ORIGINALS, dtype=str)).to_csv(table, index=False)
    status = main(["plan", "--original", str(table), "--out", str(tmp_path / "out"), "--fits", str(tmp_path / "fits")])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and str(table) in err
    assert [p.name for p in tmp_path.iterdir()] == ["originals.csv"]


# --- one small real plan -------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_small_plan_runs_on_a_local_cluster_and_resumes(tmp_path):
    """The README's first example at 2 sizes x 3 simulations: real fits on a LocalCluster of 2 workers."""
    args = ["plan", "--hypotheses", "H1", "--sizes", "30,90", "--simulations", "3", "--workers", "2",
            "--fits", str(tmp_path / "fits")]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "assurance.csv")
    assert table["n_per_cell"].tolist() == [30, 90] and (table["n_sims"] == 3).all()
    rates = table[[c for c in table if c.startswith("rate_") and not c.endswith("mc_se") and c != "rate_conclusive"]]
    assert np.allclose(rates.sum(axis=1), 1.0)
    sims = pd.read_csv(tmp_path / "out" / "simulations.csv")
    assert len(sims) == 6 and (sims["true_delta_fav"] == 1.3).all() and (sims["p_claim_mcse"] < 0.05).all()
    assert (sims["delta_fav_mean"] > 0).all()  # the design's 1.3 logits: the sign is never in doubt at 30 per cell
    # A second plan with the same settings refits nothing: every fit comes from --fits.
    stored = sorted((tmp_path / "fits").rglob("*.json"))
    assert main([*args, "--out", str(tmp_path / "again")]) == 0
    assert sorted((tmp_path / "fits").rglob("*.json")) == stored
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "assurance.csv"), table)
