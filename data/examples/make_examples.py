"""Write the example files of data/examples/ (seeded: the same bytes every run).

    .venv/bin/python data/examples/make_examples.py

srp_replication_qualtrics.csv: a made-up SRP replication as Qualtrics would export it --
three header rows (column names, question texts, ImportId JSON), metadata columns, answers
as choice text, a few unanswered items. The answers are drawn from the synthetic design's
generative model (paradox.simulate) for its first experiment (H1, severity), 50 respondents per cell.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from paradox.design import load_design
from paradox.simulate import simulate_survey

HERE = Path(__file__).resolve().parent
SEED = 2026
LABELS = ("Very dissatisfied", "Dissatisfied", "Somewhat dissatisfied", "Neither satisfied nor dissatisfied",
          "Somewhat satisfied", "Satisfied", "Very satisfied")
QUESTIONS = {
    "Q1_1": "How do you feel about the stay? - Overall, I am satisfied with this hotel.",
    "Q1_2": "How do you feel about the stay? - The hotel met my expectations.",
    "Q1_3": "How do you feel about the stay? - I am pleased with how this stay went.",
    "Q2": "What is your age?",
}

#: Qualtrics' second and third header rows for its own columns.
METADATA_TEXTS = {"StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type",
                  "Finished": "Finished", "ResponseId": "Response ID"}
IMPORT_IDS = {"StartDate": "startDate", "EndDate": "endDate", "Status": "status", "Progress": "progress",
              "Duration (in seconds)": "duration", "Finished": "finished", "ResponseId": "_recordId"}


def srp_replication_export() -> str:
    design = load_design()
    experiments = tuple(dataclasses.replace(e, n_per_cell=50) for e in design.experiments[:1])
    survey = simulate_survey(dataclasses.replace(design, experiments=experiments), seed=SEED)
    rng = np.random.default_rng(SEED)
    n = len(survey)
    order = rng.permutation(n)  # a real export is in order of arrival, not by cell
    survey = survey.iloc[order].reset_index(drop=True)
    start = pd.Timestamp("2026-03-02 09:00:00") + pd.to_timedelta(np.sort(rng.integers(0, 14 * 86400, n)), unit="s")
    duration = rng.integers(180, 900, n)
    frame = pd.DataFrame({
        "StartDate": start.strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "Status": "IP Address",
        "Progress": 100,
        "Duration (in seconds)": duration,
        "Finished": "True",
        "ResponseId": [f"R_{rng.integers(16**10):010x}" for _ in range(n)],
        "experiment": survey["experiment"],
        "cell": survey["cell"],
    })
    for i, item in enumerate(("sat_1", "sat_2", "sat_3"), start=1):
        answers = pd.Series([LABELS[a - 1] for a in survey[item]], dtype=object)
        answers[rng.random(n) < 0.02] = ""  # skipped questions are blank in an export
        frame[f"Q1_{i}"] = answers
    frame["Q2"] = rng.integers(18, 31, n)
    texts = {**{c: c for c in frame.columns}, **METADATA_TEXTS, **QUESTIONS}
    import_ids = {c: json.dumps({"ImportId": IMPORT_IDS.get(c, "QID" + c[1:] if c in QUESTIONS else c)},
                                separators=(",", ":")) for c in frame.columns}
    header = pd.DataFrame([texts, import_ids])
    return pd.concat([header, frame.astype(str)], ignore_index=True).to_csv(index=False, lineterminator="\n")


def main() -> None:
    (HERE / "srp_replication_qualtrics.csv").write_text(srp_replication_export())


if __name__ == "__main__":
    main()
