"""benchmarks/brms_bench.py reads brms's draws as the package's quantities: a wrong mapping would make the
brms benchmark compare ESS of different things. No R needed: the draws are made up here."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import brms_bench  # noqa: E402


def test_sum_to_zero_basis_is_normalised_helmert():
    basis = brms_bench.orthonormal_sum_to_zero(4)
    helmert = np.array([[-1, -1, -1], [1, -1, -1], [0, 2, -1], [0, 0, 3]], float)  # R's contr.helmert(4)
    np.testing.assert_allclose(basis, helmert / np.linalg.norm(helmert, axis=0))
    np.testing.assert_allclose(basis.T @ basis, np.eye(3), atol=1e-12)


def test_brms_draws_become_ordinal_model_quantities():
    rng = np.random.default_rng(0)
    items, experiments, n_cut, n_draws = ["q1", "q2"], ["a", "b", "c"], 3, 5
    columns = ([f"b_Intercept[{i},{k}]" for i in items for k in range(1, n_cut + 1)]
               + ["b_exp_c1", "b_exp_c2", "b_favourable", "b_unfavourable", "sd_experiment_level__recovered",
                  "sd_respondent__Intercept"]
               + [f"r_experiment_level[{e}:{lv},recovered]" for e in experiments for lv in ("favourable", "unfavourable")])
    draws = pd.DataFrame(rng.normal(size=(2 * n_draws, len(columns))), columns=columns)
    draws["sd_experiment_level__recovered"] = np.abs(draws["sd_experiment_level__recovered"]) + 0.1
    draws.insert(0, "chain", np.repeat([1, 2], n_draws))
    post = brms_bench.brms_posterior(draws, items, experiments)
    row = draws.iloc[n_draws + 1]  # chain 2, draw 1
    got = post.isel(chain=1, draw=1)
    assert float(got["cutpoints"].values[1, 2]) == row["b_Intercept[q2,3]"]
    assert float(got["recovery_effect"].values[2, 1]) == row["b_unfavourable"] + row["r_experiment_level[c:unfavourable,recovered]"]
    np.testing.assert_allclose(got["recovery_effect_z"].values[0, 0],
                               row["r_experiment_level[a:favourable,recovered]"] / row["sd_experiment_level__recovered"])
    baseline = got["experiment_baseline"].values
    np.testing.assert_allclose(baseline.sum(), 0.0, atol=1e-12)
    np.testing.assert_allclose(baseline, brms_bench.orthonormal_sum_to_zero(3) @ row[["b_exp_c1", "b_exp_c2"]].to_numpy(float))
    assert float(got["respondent_sd"]) == row["sd_respondent__Intercept"]
