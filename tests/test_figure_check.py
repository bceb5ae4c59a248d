"""paradox.figure_check on small hand-made figure tables (no sampling): within tolerance passes; a moved number,
a missing figure or number, and any change to a data-only number fail, naming the figure and the row."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from paradox import figure_check, rerun
from paradox.figures import save
from paradox.figures.numbers import attach, numbers_of, row


def _figure(value: float, mcse: float | None, observed: float = 0.25):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [observed, value])
    return attach(fig, [row("severity", "observed", 5, "share", observed),
                        row("severity", "predicted", 5, "upper", value, mcse)])


def _write(directory, name, value, mcse=0.01, observed=0.25):
    return save(_figure(value, mcse, observed), directory, name)


@pytest.fixture
def dirs(tmp_path):
    committed, regenerated = tmp_path / "committed", tmp_path / "regenerated"
    _write(committed, "fig_a", 0.40)
    return committed, regenerated, tmp_path / "report"


def _run(committed, regenerated, report, capsys):
    code = figure_check.main(["--pair", str(committed), str(regenerated), "--report", str(report)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_save_writes_the_numbers_beside_the_png(dirs):
    committed, _, _ = dirs
    table = pd.read_csv(committed / "fig_a.csv")
    assert list(table.columns) == ["figure", "panel", "series", "x", "quantity", "value", "mcse", "monte_carlo"]
    assert (table["figure"] == "fig_a").all() and list(table["value"]) == [0.25, 0.40]


def test_within_monte_carlo_error_passes_and_writes_the_report(dirs, capsys):
    committed, regenerated, report = dirs
    tolerance = rerun.Z * (0.01 ** 2 + 0.02 ** 2) ** 0.5
    _write(regenerated, "fig_a", 0.40 + 0.9 * tolerance, mcse=0.02)
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 0, out
    page = (report / "index.html").read_text()
    assert "fig_a" in page and "images/committed/fig_a.png" in page and "images/regenerated/fig_a.png" in page
    assert (report / "images" / "committed" / "fig_a.png").is_file()


def test_a_moved_number_fails_naming_the_figure_and_the_row(dirs, capsys):
    committed, regenerated, report = dirs
    tolerance = rerun.Z * (0.01 ** 2 + 0.02 ** 2) ** 0.5
    _write(regenerated, "fig_a", 0.40 + 1.1 * tolerance, mcse=0.02)
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 1
    assert "figure fig_a:" in out and "panel 'severity', series 'predicted', x '5', quantity 'upper'" in out
    assert "committed 0.4 " in out


def test_a_data_only_number_must_agree_exactly(dirs, capsys):
    committed, regenerated, report = dirs
    _write(regenerated, "fig_a", 0.40, observed=0.25 + 1e-4)  # far inside any Monte Carlo tolerance
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 1 and "series 'observed'" in out and f"tolerance {rerun.EXACT:.3g}" in out


def test_a_missing_figure_fails(dirs, capsys):
    committed, regenerated, report = dirs
    _write(regenerated, "fig_a", 0.40)
    _write(committed, "fig_b", 0.40)
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 1 and "figure fig_b: regenerated numbers missing" in out


def test_an_extra_figure_or_number_fails(dirs, capsys):
    committed, regenerated, report = dirs
    fig = _figure(0.40, 0.01)
    attach(fig, [*figure_check.read_numbers(committed / "fig_a.csv").drop(columns=["figure", "repeat"])
                 .to_dict("records"), row("severity", "predicted", 6, "upper", 0.1, 0.01)])
    save(fig, regenerated, "fig_a")
    _write(regenerated, "fig_new", 0.40)
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 1
    assert "figure fig_a: panel 'severity', series 'predicted', x '6', quantity 'upper': regenerated 0.1, not in the committed" in out
    assert "figure fig_new: not committed" in out


def test_a_figure_fast_mode_draws_in_part_is_compared_on_what_both_draw(dirs, capsys, monkeypatch):
    """The replication plan's figure (figure_check.FAST_SUBSET): fast mode plans fewer cell sizes."""
    committed, regenerated, report = dirs
    monkeypatch.setattr(figure_check, "FAST_SUBSET", {"fig_a": "fewer sizes in fast mode"})
    fig = _figure(0.40, 0.01)  # the committed figure draws x 5 and x 6, the regenerated one x 5 only
    attach(fig, [*figure_check.read_numbers(committed / "fig_a.csv").drop(columns=["figure", "repeat"])
                 .to_dict("records"), row("severity", "predicted", 6, "upper", 0.1, 0.01)])
    save(fig, committed, "fig_a")
    _write(regenerated, "fig_a", 0.40)
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 0, out
    assert "figure fig_a: compared in part (2 numbers): fewer sizes in fast mode" in out
    _write(regenerated, "fig_a", 0.60)  # a number both draw moved: fails as any other
    code, out = _run(committed, regenerated, report, capsys)
    assert code == 1 and "x '5', quantity 'upper': regenerated 0.6 vs committed 0.4" in out


def test_assurance_figure_numbers():
    """Rates of the simulated surveys with a Monte Carlo SE that is not 0 at a rate of 1; Welch's power at the
    prior's mean exact."""
    from paradox.figures.planning import plot_assurance

    table = pd.DataFrame({"hypothesis": "H1", "moderator": "severity", "n_per_cell": [30, 120], "n_sims": 3,
                          "assurance": [1 / 3, 1.0], "assurance_mc_se": [0.27, 0.0], "rate_conclusive": [2 / 3, 1.0],
                          "welch_power": [0.3, 0.8], "welch_assurance": [0.35, 0.7], "welch_assurance_mc_se": [0.05, 0.04]})
    drawn = numbers_of(plot_assurance(table, 0.8, {"severity": 120}))
    assurance = drawn[drawn["series"] == "claim holds (assurance)"].set_index("x")
    assert assurance.loc["120", "value"] == 1.0 and assurance.loc["120", "mcse"] == pytest.approx((0.8 * 0.2 / 3) ** 0.5)
    welch = drawn[drawn["series"] == "Welch power (prior mean)"]
    assert list(welch["value"]) == [0.3, 0.8] and not welch["monte_carlo"].any()
    assert drawn[drawn["series"] == "Welch power (prior average)"]["mcse"].tolist() == [0.05, 0.04]
    plt.close("all")


# The figure functions' tables, on tiny synthetic inputs (no sampling).

def test_rank_plot_numbers_are_rank_quarter_shares_with_monte_carlo_error():
    import numpy as np
    import xarray as xr

    from paradox.figures import srp as srp_figures
    from paradox.figures.numbers import numbers_of

    rng = np.random.default_rng(1)
    posterior = xr.Dataset({"tau": (("chain", "draw"), rng.normal(size=(2, 200))),
                            "effect": (("chain", "draw", "level"), rng.normal(size=(2, 200, 2)))},
                           coords={"level": ["favourable", "unfavourable"]})
    table = numbers_of(srp_figures.plot_rank_diagnostics(xr.DataTree.from_dict({"posterior": posterior}), ["tau", "effect"]))
    plt.close("all")
    assert set(table["panel"]) == {"tau", "effect[favourable]", "effect[unfavourable]"}
    assert table["monte_carlo"].all() and (table["mcse"] > 0).all()
    shares = table.groupby(["panel", "series"])["value"].sum()
    assert np.allclose(shares, 1.0) and len(shares) == 3 * 2


def test_verdict_numbers_are_exact_for_welch_and_monte_carlo_for_the_models():
    import numpy as np

    from paradox.figures import srp as srp_figures
    from paradox.figures.numbers import numbers_of

    probabilities = {"p_claim": 0.9, "p_paradox_favourable": 0.95, "p_moderation": 0.99, "p_no_paradox": 0.01}
    table = pd.DataFrame([
        {"hypothesis": "H1", "method": "ordinal", "verdict": "claim holds", **probabilities,
         **{f"{k}_mcse": 0.002 for k in probabilities}},
        {"hypothesis": "H1", "method": "welch", "verdict": "claim holds", **probabilities,
         **{f"{k}_mcse": np.nan for k in probabilities}},
    ])
    numbers = numbers_of(srp_figures.plot_verdicts(table)).set_index(["panel", "quantity"])
    plt.close("all")
    assert numbers.loc[("ordinal", "p_claim"), "monte_carlo"] and numbers.loc[("ordinal", "p_claim"), "mcse"] == 0.002
    assert not numbers.loc[("welch", "p_claim"), "monte_carlo"] and numbers.loc[("welch", "p_claim"), "mcse"] == 0
    assert numbers.loc[("welch", "p_moderation"), "value"] == 0.99
