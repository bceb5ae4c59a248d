"""The worked example: a SIMULATED study table of the SRP literature.

It is not the table of de Matos, Henrique & Rossi (2007), which this project does not have.
It is drawn from the model in paradox.meta.model with the true values in `TRUTH`, chosen by
us to mirror that paper's qualitative findings (a positive pooled effect on satisfaction,
none on repurchase, word-of-mouth and image; design, subjects and service category moderate
the satisfaction effect). The directions and sizes of the moderator effects are our
choice for illustration, not that paper's estimates. No publication bias is simulated.

Each row reports its effect the way papers do (means and SDs, t, F, r, counts or
proportions), so the example also exercises every conversion.

Regenerate (byte-identical): python -m paradox.meta.example
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from paradox.meta.effect_sizes import LOGIT_TO_D
from paradox.meta.table import COLUMNS
from paradox.settings import DATA_DIR

EXAMPLE_PATH = DATA_DIR / "meta" / "srp_meta_example_simulated.csv"
TEMPLATE_PATH = DATA_DIR / "meta" / "srp_meta_template.csv"
#: Seed of the committed example table; changing it changes the data.
EXAMPLE_SEED = 2007_0601
N_STUDIES = 60

#: True values of the simulation (Hedges' g scale).
TRUTH = {
    # pooled effect at the baseline levels (cross_sectional, students, hotel) per outcome
    "mu": {"satisfaction": 0.70, "repurchase": 0.0, "word_of_mouth": 0.0, "image": 0.0},
    # moderator effects, on satisfaction only
    "beta_satisfaction": {"design[longitudinal]": -0.40, "subjects[non_students]": -0.30,
                          "service[restaurant]": -0.25, "service[other]": -0.40},
    "tau": {"satisfaction": 0.15, "repurchase": 0.10, "word_of_mouth": 0.10, "image": 0.10},
    "sigma_study": 0.10,
}
#: Probability that a study reports each outcome besides satisfaction (always reported).
REPORTED = {"repurchase": 0.5, "word_of_mouth": 0.4, "image": 0.3}
#: How often effects are reported in each form.
INPUT_FORMS = {"means": 0.50, "t": 0.15, "f": 0.10, "r": 0.08, "counts": 0.10, "proportions": 0.07}
SCALE_SD = 1.1  # SD of a 7-point satisfaction scale

#: The template is every column the codebook knows, in its order.
TEMPLATE_COLUMNS = list(COLUMNS)
INTEGER_COLUMNS = ["n_treated", "n_control", "direction", "df", "n_total", "events_treated", "events_control", "year"]


def _study(rng: np.random.Generator) -> dict:
    design = "longitudinal" if rng.random() < 0.3 else "cross_sectional"
    subjects = "students" if rng.random() < 0.5 else "non_students"
    service = rng.choice(["hotel", "restaurant", "other"], p=[0.35, 0.35, 0.30])
    low, high = (30, 90) if subjects == "students" else (60, 220)
    return {"design": design, "subjects": subjects, "service": str(service),
            "n": (int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1)))}


def _true_effect(rng, study: dict, outcome: str, u: float) -> float:
    theta = TRUTH["mu"][outcome] + u + rng.normal(0, TRUTH["tau"][outcome])
    if outcome == "satisfaction":
        beta = TRUTH["beta_satisfaction"]
        theta += beta["design[longitudinal]"] * (study["design"] == "longitudinal")
        theta += beta["subjects[non_students]"] * (study["subjects"] == "non_students")
        theta += beta.get(f"service[{study['service']}]", 0.0)
    return theta


def _report(rng, form: str, theta: float, n1: int, n2: int) -> dict:
    """The numbers a paper would print for a true effect theta."""
    if form in ("counts", "proportions"):
        p_control = float(np.clip(rng.normal(0.6, 0.05), 0.3, 0.85))
        p_treated = 1 / (1 + np.exp(-(np.log(p_control / (1 - p_control)) + theta / LOGIT_TO_D)))
        a, c = int(rng.binomial(n1, p_treated)), int(rng.binomial(n2, p_control))
        if form == "counts":
            return {"events_treated": a, "n_treated": n1, "events_control": c, "n_control": n2}
        return {"p_treated": round(a / n1, 3), "n_treated": n1, "p_control": round(c / n2, 3), "n_control": n2}
    mean_control = rng.normal(4.6, 0.4)
    m1 = rng.normal(mean_control + theta * SCALE_SD, SCALE_SD / np.sqrt(n1))
    m2 = rng.normal(mean_control, SCALE_SD / np.sqrt(n2))
    s1 = SCALE_SD * np.sqrt(rng.chisquare(n1 - 1) / (n1 - 1))
    s2 = SCALE_SD * np.sqrt(rng.chisquare(n2 - 1) / (n2 - 1))
    if form == "means":
        return {"mean_treated": round(m1, 2), "sd_treated": round(s1, 2), "n_treated": n1,
                "mean_control": round(m2, 2), "sd_control": round(s2, 2), "n_control": n2}
    pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
    t = (m1 - m2) / (pooled * np.sqrt(1 / n1 + 1 / n2))
    sizes = {"n_treated": n1, "n_control": n2} if rng.random() < 0.5 else {"df": n1 + n2 - 2}
    if form == "t":
        return {"t": round(t, 2), **sizes}
    if form == "f":
        return {"f": round(t**2, 2), "direction": 1 if t >= 0 else -1, **sizes}
    d = t * np.sqrt(1 / n1 + 1 / n2)
    return {"r": round(d / np.sqrt(d**2 + (n1 + n2) ** 2 / (n1 * n2)), 3), "n_total": n1 + n2}


def simulate_example_table(seed: int = EXAMPLE_SEED, n_studies: int = N_STUDIES) -> pd.DataFrame:
    """The simulated study table, one row per effect, in the template's columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(1, n_studies + 1):
        study = _study(rng)
        u = rng.normal(0, TRUTH["sigma_study"])
        outcomes = ["satisfaction"] + [o for o, p in REPORTED.items() if rng.random() < p]
        for outcome in outcomes:
            form = str(rng.choice(list(INPUT_FORMS), p=list(INPUT_FORMS.values())))
            values = _report(rng, form, _true_effect(rng, study, outcome, u), *study["n"])
            rows.append({"study_id": f"S{s:02d}", "study_label": f"Simulated study {s:02d}", "outcome": outcome,
                         "input": form, **values, "design": study["design"], "subjects": study["subjects"],
                         "service": study["service"], "notes": "SIMULATED, not a real study"})
    table = pd.DataFrame(rows).reindex(columns=TEMPLATE_COLUMNS)
    for column in INTEGER_COLUMNS:
        table[column] = table[column].astype("Int64")
    return table


def write_example(path: str | Path = EXAMPLE_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    simulate_example_table().to_csv(path, index=False, lineterminator="\n")
    return path


def write_template(path: str | Path = TEMPLATE_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(",".join(TEMPLATE_COLUMNS) + "\n")
    return path


if __name__ == "__main__":
    print(write_example(), write_template())
