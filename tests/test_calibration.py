"""The operating-characteristics summary: rates, Monte Carlo errors with the survey as the unit, coverage, goals."""

import numpy as np
import pandas as pd
import pytest

from paradox import calibration, verdict
from paradox.settings import SamplerSettings
from paradox.studies import NOT_CONVERGED


def _rows(scenario, verdicts_per_survey, covers=True, pooled=True, error=0.0):
    """Rows as fit_task writes them, at the true deltas of the scenario's truth (its shifts by moderator); each
    verdict's own probability at 0.96, the others at 0 (p_claim is 0.96 where the verdict is the claim); every
    posterior mean `error` above the truth."""
    truth = {t.name: t for t in calibration.TRUTHS}[scenario]
    rows = []
    for replicate, verdicts in enumerate(verdicts_per_survey):
        for k, v in enumerate(verdicts):
            shift = truth.shifts[k] if truth.shifts else 0.0
            true_fav, true_unfav = truth.favourable + shift, truth.unfavourable + shift
            probabilities = dict.fromkeys(verdict.PROBABILITY_COLUMNS, 0.0)
            if v in verdict._VERDICT_PROBABILITY:
                probabilities[verdict._VERDICT_PROBABILITY[v]] = 0.96
            rows.append({"scenario": scenario, "pooled": pooled, "replicate": replicate, "moderator": f"m{k}",
                         "verdict": v, "covers_fav": covers, "covers_unfav": True,
                         "refitted": v == NOT_CONVERGED, **probabilities,
                         "true_delta_fav": true_fav, "delta_fav_mean": true_fav + error + 0.1 * (replicate % 2),
                         "true_delta_unfav": true_unfav, "delta_unfav_mean": true_unfav + error})
    return rows


def test_rates_and_their_standard_errors_treat_the_survey_as_the_unit(design):
    claim, other = verdict.CLAIM, verdict.INCONCLUSIVE
    surveys = [[claim, claim, other, other], [claim, other, other, other], [other] * 4, [claim] * 4]
    table = calibration.operating_characteristics(pd.DataFrame(_rows("null", surveys)), design)
    row = table.iloc[0]
    per_survey = np.array([0.5, 0.25, 0.0, 1.0])
    assert row["n_sims"] == 4 and row["n_judgements"] == 16
    assert row["rate_claim"] == pytest.approx(per_survey.mean())
    assert row["mc_se"] == pytest.approx(per_survey.std(ddof=1) / 2)
    assert row["rate_inconclusive"] == pytest.approx(1 - per_survey.mean())
    assert not row["claim_true"]


def test_truth_of_the_claim_follows_the_region(design):
    truths = {t.name: t.claim_true(design.decision.rope_logit) for t in calibration.TRUTHS}
    assert truths == {"null": False, "hypothesised": True, "paradox_both": False, "moderation_only": False,
                      "just_inside": False, "half_size": True, "heterogeneous": True, "mixed": False}
    # with shifts, the claim must hold in every experiment: one favourable effect inside the region is enough
    assert not calibration.Truth("t", 0.3, -1.0, "", shifts=(-0.2, 0.0, 0.2, 0.4)).claim_true(0.18)


def test_a_heterogeneous_truth_shifts_each_experiment_and_a_uniform_one_is_unchanged(design):
    heterogeneous = next(t for t in calibration.TRUTHS if t.shifts).scenario(design)
    assert [(fav, unfav) for _, fav, unfav in heterogeneous.effects] == [(0.6, -1.8), (1.0, -1.4), (1.4, -1.0),
                                                                        (1.8, -0.6)]
    from paradox.studies import Scenario
    assert calibration.TRUTHS[1].scenario(design) == Scenario.uniform("hypothesised", design, 1.2, -1.2)


def test_a_scenario_whose_claim_is_false_in_one_experiment_gets_a_row_for_it(design):
    """"mixed": no paradox in the first experiment, the claim in the others. Its judgements are split by their own
    truth, so the claim called in the first experiment counts as a false claim, in a row of its own."""
    surveys = [[verdict.CLAIM] * 4, [verdict.INCONCLUSIVE, verdict.CLAIM, verdict.CLAIM, verdict.CLAIM]]
    table = calibration.operating_characteristics(pd.DataFrame(_rows("mixed", surveys)), design)
    rows = table.set_index("claim_true")
    assert list(table["scenario"]) == ["mixed", "mixed"] and set(rows.index) == {True, False}
    assert rows.loc[False, "n_judgements"] == 2 and rows.loc[False, "rate_claim"] == pytest.approx(0.5)
    assert rows.loc[False, "true_delta_fav"] == pytest.approx(0.0) and rows.loc[True, "rate_claim"] == 1.0
    assert "mixed, pooled" in "\n".join(calibration.goal_report(table))


def test_goal_report_says_when_a_goal_is_missed(design):
    bad = _rows("null", [[verdict.CLAIM] * 4, [verdict.INCONCLUSIVE] * 4] * 5, covers=False)
    good = _rows("hypothesised", [[verdict.CLAIM] * 4] * 10)
    table = calibration.operating_characteristics(pd.DataFrame(bad + good), design)
    report = "\n".join(calibration.goal_report(table))
    assert "claim called where false: at most 0.500" in report and "NOT met" in report
    assert "power (hypothesised, pooled): 1.000" in report
    assert "convergence checks twice (no verdict): at most 0.000" in report


def test_goal_report_judges_the_verdicts_model_first_and_labels_the_other(design):
    unpooled = _rows("just_inside", [[verdict.INCONCLUSIVE] * 4] * 10, pooled=False)
    pooled = _rows("just_inside", [[verdict.CLAIM] * 4] * 10)
    table = calibration.operating_characteristics(pd.DataFrame(unpooled + pooled), design)
    report = calibration.goal_report(table, verdicts_pooled=False)
    assert report[0] == "unpooled (the verdicts' model):" and report[1].endswith("goal <= 0.05: met")
    second = report.index("pooled (a sensitivity check, not the verdicts):")
    assert report[second + 1].endswith("NOT met")
    assert calibration.goal_report(table, verdicts_pooled=True)[0] == "pooled (the verdicts' model):"


def test_the_committed_study_meets_the_false_claim_goal_with_the_verdicts_model():
    """results/calibration/ (make calibrate) for the model the verdicts come from (verdict.VERDICTS_POOLED):
    every truth at the issue's 200 surveys, and the claim called where it is false in at most 5% of judgements.
    Pooling the verdicts, or a rule that errs more often, fails this until the study is run again and meets it."""
    from paradox.verdict import VERDICTS_POOLED

    table = calibration.read_table(calibration.OUTPUT_DIR / calibration.TABLE)
    rows = table[table["pooled"] == VERDICTS_POOLED]
    assert set(rows["scenario"]) == {t.name for t in calibration.TRUTHS}
    assert (rows["n_sims"] >= 200).all(), rows[["scenario", "n_sims"]]
    assert rows.loc[~rows["claim_true"], "rate_claim"].max() <= calibration.FALSE_CLAIM_GOAL


def test_a_survey_without_a_converged_fit_is_counted_not_dropped(design):
    surveys = [[verdict.CLAIM] * 4, [NOT_CONVERGED] * 4, [verdict.INCONCLUSIVE] * 4, [verdict.CLAIM] * 4]
    table = calibration.operating_characteristics(pd.DataFrame(_rows("null", surveys)), design)
    row = table.iloc[0]
    assert row["n_sims"] == 4 and row["rate_claim"] == pytest.approx(0.5)
    assert row["rate_not_converged"] == pytest.approx(0.25) and row["share_refitted"] == pytest.approx(0.25)
    assert "at most 0.250; where the claim is false" in "\n".join(calibration.goal_report(table))


def test_the_pooled_study_samples_with_its_own_target_acceptance_and_the_pooled_trajectory_cap(design):
    """At the study's draws and target acceptance (calibration.POOLED_TARGET_ACCEPT, below the notebooks'
    hypotheses.POOLED_TARGET_ACCEPT), with the pooled fits' trajectory cap; the unpooled study samples as the
    replication plan does (more draws). Both are part of what a stored fit depends on."""
    from paradox import hypotheses, planning

    pooled, unpooled = (calibration.study(design, pooled, replicates=2) for pooled in (True, False))
    assert (pooled.settings.target_accept, pooled.settings.max_tree_depth) == (
        calibration.POOLED_TARGET_ACCEPT, hypotheses.POOLED_MAX_TREE_DEPTH)
    assert calibration.POOLED_TARGET_ACCEPT < hypotheses.POOLED_TARGET_ACCEPT
    assert {k: getattr(pooled.settings, k) for k in calibration.POOLED_SETTINGS} == calibration.POOLED_SETTINGS
    # The unpooled study fits what the replication plan fits, as the plan samples, with more draws.
    draws = calibration.UNPOOLED_SETTINGS["draws"]
    assert unpooled.settings == SamplerSettings(**{**planning.PLAN_DRAWS, "draws": draws})
    fingerprint = pooled.fingerprint()["settings"]
    assert (fingerprint["max_tree_depth"], fingerprint["target_accept"]) == (
        hypotheses.POOLED_MAX_TREE_DEPTH, calibration.POOLED_TARGET_ACCEPT)
    # A pooled fit that fails its checks is refitted as the notebooks sample; an unpooled one at its own setting.
    assert pooled.refit_settings == pooled.settings.with_(chains=2 * pooled.settings.chains,
                                                          target_accept=hypotheses.POOLED_TARGET_ACCEPT)
    assert pooled.fingerprint()["refit_target_accept"] == hypotheses.POOLED_TARGET_ACCEPT
    assert unpooled.refit_settings == unpooled.settings.with_(chains=2 * unpooled.settings.chains)
    assert "refit_target_accept" not in unpooled.fingerprint()


@pytest.mark.parametrize("pooled", [False, True], ids=["unpooled", "pooled"])
def test_the_committed_study_rows_were_made_by_this_code(design, pooled):
    """The stored fits of `make calibrate` belong to the study this code would run (its fingerprint: model code,
    settings, design, scenarios, rule): a change that voids them fails here, not months later in a resumed run
    that refuses the directory. Then delete the study's directory and run `make calibrate` again."""
    study = calibration.study(design, pooled, replicates=1)
    stamp = calibration.OUTPUT_DIR / "fits" / study.name / "study.json"
    assert stamp.read_text() == study.fingerprint_json(), (
        f"{stamp} holds another study's fingerprint: the committed rows no longer describe this code")


def test_the_written_table_reads_back_with_the_null_scenario_named(tmp_path):
    table = pd.DataFrame({"scenario": ["null", "hypothesised"], "rate_claim": [0.01, 0.8], "mc_se": [0.01, ""]})
    table.to_csv(tmp_path / "t.csv", index=False)
    back = calibration.read_table(tmp_path / "t.csv")
    assert list(back["scenario"]) == ["null", "hypothesised"] and np.isnan(back.loc[1, "mc_se"])


def test_bias_is_the_mean_error_of_the_posterior_means_per_survey(design):
    surveys = [[verdict.INCONCLUSIVE] * 4] * 6
    row = calibration.operating_characteristics(pd.DataFrame(_rows("null", surveys, error=0.05)), design).iloc[0]
    per_survey = 0.05 + 0.1 * (np.arange(6) % 2)
    assert row["bias_fav"] == pytest.approx(per_survey.mean())
    assert row["bias_fav_mc_se"] == pytest.approx(per_survey.std(ddof=1) / np.sqrt(6))
    assert row["bias_unfav"] == pytest.approx(0.05) and row["bias_unfav_mc_se"] == pytest.approx(0.0)


def test_rule_sensitivity_judges_the_stored_probabilities_again(design):
    """p_claim 0.96 is the claim at 0.95 and inconclusive at 0.975; no verdict stays no verdict; the rates at the
    design's own probability are those of the table."""
    surveys = [[verdict.CLAIM] * 4, [verdict.CLAIM, verdict.NO_PARADOX, NOT_CONVERGED, verdict.INCONCLUSIVE]]
    rows = pd.DataFrame(_rows("null", surveys))
    rows.loc[rows["verdict"] == NOT_CONVERGED, "p_claim"] = 0.99  # what an unconverged fit's draws said
    table = calibration.rule_sensitivity(rows, design, (0.95, 0.975)).set_index("decision_probability")
    assert table.loc[0.95, "rate_claim"] == pytest.approx(calibration.operating_characteristics(rows, design)
                                                          .iloc[0]["rate_claim"]) == pytest.approx(0.625)
    assert table.loc[0.975, "rate_claim"] == 0.0


@pytest.mark.parametrize("pooled", [False, True], ids=["unpooled", "pooled"])
def test_every_committed_verdict_is_its_stored_probabilities_judged_again(design, pooled):
    """The study's fingerprint leaves the decision probability out, because a row's verdict depends on it only
    through the probabilities the row stores: judged again at the probability each committed fit was judged at,
    every stored verdict comes back. A verdict that needed anything else would fail here. Rows record that
    probability (`decision_probability`) since 2026-11-29 14:27; the older ones were judged at 0.95 (the rule until
    14:03 that day) or 0.975 (the rule since), which a row does not say: such a row must come back at one of them."""
    import json

    from paradox.studies.tasks import judged_at

    rows_dir = calibration.OUTPUT_DIR / "fits" / calibration.study(design, pooled, replicates=1).name / "rows"
    rows = pd.DataFrame([row for path in sorted(rows_dir.glob("*.json")) for row in json.loads(path.read_text())])
    assert len(rows) >= 400
    rows = rows.reindex(columns=[*rows.columns.drop("decision_probability", errors="ignore"), "decision_probability"])
    recorded = rows["decision_probability"].notna()
    for probability in rows.loc[recorded, "decision_probability"].unique():
        at = rows[recorded & (rows["decision_probability"] == probability)]
        assert (judged_at(at, probability) == at["verdict"]).all()
    older = rows[~recorded]
    assert ((judged_at(older, 0.95) == older["verdict"]) | (judged_at(older, 0.975) == older["verdict"])).all()
    assert (judged_at(older, 0.95) == older["verdict"]).mean() > 0.8  # nearly all of them from before the change
    assert (judged_at(rows, 0.99) != rows["verdict"]).any()  # the check can tell probabilities apart


def test_a_new_decision_probability_keeps_the_study_but_a_new_region_does_not(design, tmp_path):
    """The stored fits stay valid for another decision probability (their verdicts are judged again when read:
    p_claim 0.96 is the claim at 0.95, inconclusive at 0.975) and are refused for another region."""
    import dataclasses
    import json

    from paradox.studies import ResultStore, StudyMismatch
    from paradox.verdict import DecisionRule

    study = calibration.study(design, False, replicates=1)

    def with_rule(probability, rope=0.18):
        return dataclasses.replace(study, rule=DecisionRule(rope=rope, probability=probability))

    first = ResultStore(tmp_path, with_rule(0.95))
    (first.rows_dir / "null__r00000.json").write_text(json.dumps(_rows("null", [[verdict.CLAIM]])))
    assert list(first.table()["verdict"]) == [verdict.CLAIM]
    assert list(ResultStore(tmp_path, with_rule(0.975)).table()["verdict"]) == [verdict.INCONCLUSIVE]
    with pytest.raises(StudyMismatch):
        ResultStore(tmp_path, with_rule(0.95, rope=0.1))
