"""`paradox replicate TABLE.csv --out DIR`: every criterion of replication success, side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from paradox.outputs import output_dir
from paradox.replication import bayes, report
from paradox.replication.inputs import load_replication_table

#: Every file `paradox replicate` writes into DIR (an earlier output is recognised by them).
OUTPUT_FILES = ("criteria.csv", "verdicts.csv", "summary.md", "replication.png", "run.json")

DESCRIPTION = """\
Judge a replication against the original, contrast by contrast, with every established
criterion side by side: significance in the same direction, the original inside the
replication's 95% CI, the replication inside the original's 95% prediction interval,
small telescopes (d33%), the fixed-effect combination, the sceptical p-value, the
replication Bayes factor, and the posterior with the original as prior (with the
paradox test's verdict for moderators given with `moderator` and `level`).

TABLE has one row per study and contrast (columns: contrast, study = original or
replication, and the numbers as published: means/SDs/Ns, t or F with group sizes or
df, or a ready effect yi/vi); data/examples/README.md is its codebook. It is checked
first: a bad column, value or row stops the run with a message naming it (exit
status 2) and nothing is written.
"""

EPILOG = """\
outputs in DIR:
  criteria.csv     one row per contrast: every criterion's quantity, uncertainty and decision
  verdicts.csv     the paradox test's verdict per moderator, on the posterior with the original as prior
  summary.md       the same in plain language, criterion by criterion
  replication.png  original against replication, with the prediction interval, d33% and the posterior
  run.json         inputs and settings

example:
  paradox replicate data/examples/replication_summary.csv --out build/replicate
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("replicate", help="judge a replication against the original study",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", metavar="TABLE.csv", help="original and replication statistics, per contrast")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the results (written only if "
                        "all succeeds)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox replicate output in DIR (only the files it wrote)")
    parser.set_defaults(run=run_replicate)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")


def write_outputs(table: pd.DataFrame, verdicts: pd.DataFrame, out: Path, source: str) -> None:
    from paradox.figures import save  # figures import matplotlib: only when writing
    from paradox.figures.replication import replication_plot

    _write_csv(table, out / "criteria.csv")
    _write_csv(verdicts, out / "verdicts.csv")
    (out / "summary.md").write_text(report.summary(table, verdicts))
    save(replication_plot(table, bayes.ROPE_D), out, "replication")
    (out / "run.json").write_text(json.dumps({"table": source, "rope_d": bayes.ROPE_D,
                                              "verdict_draws": bayes.VERDICT_DRAWS}, indent=2) + "\n")


def run_replicate(args) -> int:
    # DIR is checked, locked and its temporary folder made before anything else.
    with output_dir(args.out, command="replicate", inputs=[args.table], may_write=OUTPUT_FILES,
                    overwrite=args.overwrite) as tmp:
        contrasts = load_replication_table(args.table)
        table = report.judge(contrasts)
        verdicts = report.moderator_verdicts(table)
        write_outputs(table, verdicts, tmp, str(args.table))
    print(report.summary(table, verdicts))
    print(f"wrote {args.out}")
    return 0
