"""Re-run against committed numbers: agreement within Monte Carlo error, exact where there is none."""

import numpy as np
import pandas as pd

from paradox import rerun


def table(p, mcse, method="ordinal"):
    return pd.DataFrame({"hypothesis": ["H1"], "method": [method], "verdict": ["claim holds"],
                         "p_claim": [p], "p_claim_mcse": [mcse]})


def test_noise_within_monte_carlo_error_agrees_and_a_moved_result_does_not():
    committed = table(0.80, 0.01)
    assert rerun.compare(table(0.83, 0.015), committed, ["hypothesis", "method"], ["p_claim"])["agrees"].all()
    moved = rerun.compare(table(0.40, 0.015), committed, ["hypothesis", "method"], ["p_claim"])
    assert not moved["agrees"].any()
    assert moved["tolerance"].item() == rerun.Z * np.hypot(0.015, 0.01)


def test_probabilities_of_exactly_one_get_the_floor():
    comparison = rerun.compare(table(0.99, 0.0), table(1.0, 0.0), ["hypothesis", "method"], ["p_claim"])
    assert comparison["agrees"].item()
    assert comparison["tolerance"].item() == rerun.Z * np.hypot(rerun.MCSE_FLOOR, rerun.MCSE_FLOOR)


def test_quantities_without_monte_carlo_error_must_match_exactly():
    exact = table(0.9, np.nan, method="welch")
    assert rerun.compare(exact, exact, ["hypothesis", "method"], ["p_claim"])["agrees"].all()
    assert not rerun.compare(table(0.9001, np.nan, "welch"), exact, ["hypothesis", "method"], ["p_claim"])["agrees"].any()


def test_a_row_missing_on_either_side_disagrees():
    both = pd.concat([table(0.8, 0.01), table(0.5, 0.01, method="gaussian")])
    assert not rerun.compare(table(0.8, 0.01), both, ["hypothesis", "method"], ["p_claim"])["agrees"].all()


def test_the_printed_lines_name_the_committed_verdict_and_what_moved(tmp_path):
    path = tmp_path / "verdicts.csv"
    table(0.80, 0.01).to_csv(path, index=False)
    assert rerun.verdict_agreement(table(0.81, 0.01), path, ["p_claim"]) == (
        "H1 ordinal  claim holds                  agrees with the committed run")
    moved = rerun.verdict_agreement(table(0.30, 0.01), path, ["p_claim"])
    assert "MOVED: p_claim 0.300 vs 0.800 committed" in moved
