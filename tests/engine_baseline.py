"""The models every ordinal builder made before the one engine (paradox.models.ordinal), and their log density
and gradient at a few random points: `python tests/engine_baseline.py` wrote tests/fixtures/engine/baseline.json
from the code before the refactoring (commit 145ca44); tests/test_ordinal_engine.py rebuilds the same models and
asserts the same numbers (1e-10) and the same fingerprints (paradox.cache.model_fingerprint), so the committed
result cache and every committed number stay valid.

A deliberate change of the key re-records the fingerprints alone, `python tests/engine_baseline.py
--fingerprints`, and refits the result cache (`make reproduce`): done on 2026-11-27, when the fingerprint came
to include the Deterministics and the integrated likelihood's answers became pm.Data, and again the same day,
when floating-point constants came to enter it at 32 significant bits (the integrated models' keys had
differed between two machines in the last bits of np.exp); and on 2026-11-28, when the code of the
integrated likelihood's kernels came to enter it (`code_digest`: any edit of paradox/models/pattern_integral.py
changes the integrated models' fingerprints); and again on 2026-11-28, when each item's cutpoints got a location
prior of their own (OrdinalPriors.cutpoint_location_sd): the notebook models' fingerprints changed, the recorded
cases keep the old prior. The points are still those of 145ca44."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURE = Path(__file__).parent / "fixtures" / "engine" / "baseline.json"
POINTS = 3


def small_srp_survey():
    """60 respondents of the committed synthetic survey (20 per cell of two experiments), a few answers
    removed (items missing at random)."""
    from paradox.data import validate
    from paradox.design import load_design
    from paradox.simulate import DEFAULT_OUTPUT

    design = load_design()
    frame = pd.read_csv(DEFAULT_OUTPUT)
    frame = frame[frame["experiment"].isin(["severity", "stability"])]
    frame = frame.groupby(["experiment", "cell"], sort=False).head(10).reset_index(drop=True)
    frame.loc[[3, 17], "sat_2"] = np.nan
    return validate(frame, design.survey_spec(min_cell_size=1)), design


def regression_survey(weighted: bool = False, long: bool = False):
    """A small survey for the general regression: two factors, a covariate, a group, three items."""
    from paradox.data import SurveySpec, validate

    rng = np.random.default_rng(5)
    n = 40
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(n)], "a": rng.choice(["x", "y"], n), "b": rng.choice(["p", "q", "s"], n),
        "age": rng.normal(40, 10, n).round(), "site": rng.choice(["s1", "s2", "s3"], n),
        **{f"q{j}": rng.integers(1, 6, n) for j in range(3)},
    })
    frame.loc[4, "q1"] = np.nan
    if weighted:
        frame["w"] = rng.integers(0, 3, n)
    spec = SurveySpec(respondent="id", scale=(1, 5), items=("q0", "q1", "q2"), factors={"a": None, "b": None},
                      covariates=("age",), group="site", weight="w" if weighted else None)
    return validate(frame, spec)


def cases():
    """name -> a function building the model (a pm.Model)."""
    from paradox.models import regression, srp

    survey, design = small_srp_survey()
    grid = srp.pattern_grid(survey, unanswered=True)
    # The cutpoints' prior of 145ca44 (cutpoint_location_sd=None; the default since 2026-11-28 gives each item's
    # location a prior of its own, a new variable the recorded points lack).
    old = srp.OrdinalPriors(cutpoint_location_sd=None)
    out = {
        "srp_respondents_pooled": lambda: srp.ordinal_model(survey, old),
        "srp_respondents_unpooled": lambda: srp.ordinal_model(survey, old, pooled=False),
        "srp_integrated_pooled": lambda: srp.ordinal_model(survey, old, integrate_respondents=True),
        "srp_integrated_unpooled": lambda: srp.ordinal_model(survey, old, pooled=False, integrate_respondents=True),
        "srp_integrated_grid": lambda: srp.ordinal_model(survey, old, integrate_respondents=True, patterns=grid),
        "srp_respondents_priors": lambda: srp.ordinal_model(
            survey, priors=srp.OrdinalPriors(effect_sd=1.0, respondent_sd=1.5, cutpoint_location_sd=None)),
    }
    plain, weighted = regression_survey(), regression_survey(weighted=True)
    Spec = regression.RegressionSpec
    # The respondents' sd prior of 145ca44 (group_sd's HalfNormal(1); respondent_sd's own default is 3 since
    # 2026-11-28): the recorded log densities are at that prior.
    before = regression.Priors(respondent_sd=1.0)
    specs = {
        "reg_collapsed_logit": (weighted, Spec()),
        "reg_collapsed_probit": (weighted, Spec(link="probit")),
        "reg_uncollapsed_logit": (plain, Spec()),
        "reg_respondent_logit": (plain, Spec(respondent_intercept=True, priors=before)),
        "reg_respondent_probit_interaction": (plain, Spec(link="probit", respondent_intercept=True,
                                                          interactions=(("a", "b"),), priors=before)),
        "reg_collapsed_interaction_noitems": (weighted, Spec(interactions=(("a", "b"),), item_effects=False)),
        "reg_gaussian": (weighted, Spec(family="gaussian")),
    }
    for name, (s, spec) in specs.items():
        collapse = False if name.startswith("reg_uncollapsed") else None
        out[name] = (lambda s=s, spec=spec, collapse=collapse: regression.build_regression(s, spec, collapse=collapse).model)
    return out


def evaluate(model, points: int = POINTS) -> dict:
    """Log density, gradient and fingerprint at `points` random points of the unconstrained space."""
    from paradox.cache import model_fingerprint
    from paradox.models.sampling import FORWARD_MODE

    rng = np.random.default_rng(20261126)
    logp = model.compile_logp(mode=FORWARD_MODE)
    dlogp = model.compile_dlogp(mode=FORWARD_MODE)
    start = model.initial_point()
    records = []
    for _ in range(points):
        point = {k: v + rng.normal(0.0, 0.3, size=np.shape(v)) for k, v in start.items()}
        records.append({"point": {k: np.asarray(v).tolist() for k, v in point.items()},
                        "logp": float(logp(point)), "dlogp": np.asarray(dlogp(point)).tolist()})
    return {"fingerprint": model_fingerprint(model), "points": records}


def notebook_models():
    """name -> a function building a model the notebooks sample (the committed survey): fingerprints only."""
    from paradox.data import load_survey
    from paradox.design import experiment_survey, load_design
    from paradox.models import srp
    from paradox.simulate import DEFAULT_OUTPUT

    design = load_design()
    survey = load_survey(DEFAULT_OUTPUT, design.survey_spec())
    out = {"nb06_integrated_pooled": lambda: srp.ordinal_model(survey, pooled=True, integrate_respondents=True),
           "nb06_respondents_pooled": lambda: srp.ordinal_model(survey, pooled=True)}
    for moderator in design.moderators:
        part = experiment_survey(survey, moderator)
        out[f"nb_{moderator}_integrated"] = lambda part=part: srp.ordinal_model(part, pooled=False, integrate_respondents=True)
        out[f"nb_{moderator}_respondents"] = lambda part=part: srp.ordinal_model(part, pooled=False)
    return out


def record_fingerprints() -> None:
    """Re-record only the fingerprints, keeping the recorded points (whose numbers stay those of 145ca44)."""
    from paradox.cache import model_fingerprint

    recorded = json.loads(FIXTURE.read_text())
    builders = cases() | notebook_models()
    for name, build in builders.items():
        recorded[name]["fingerprint"] = model_fingerprint(build())
    FIXTURE.write_text(json.dumps(recorded, indent=None))
    print(f"re-recorded the fingerprints of {len(builders)} models in {FIXTURE}", file=sys.stderr)


if __name__ == "__main__" and sys.argv[1:] == ["--fingerprints"]:
    record_fingerprints()
elif __name__ == "__main__":
    from paradox.cache import model_fingerprint

    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    result = {name: evaluate(build()) for name, build in cases().items()}
    result |= {name: {"fingerprint": model_fingerprint(build()), "points": []} for name, build in notebook_models().items()}
    FIXTURE.write_text(json.dumps(result, indent=None))
    print(f"wrote {FIXTURE}: {len(result)} models", file=sys.stderr)
