"""`paradox replicate TABLE.csv --out DIR`: every criterion of replication success, side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from paradox.errors import InputError
from paradox.outputs import output_dir
from paradox.replication import bayes, report
from paradox.replication.inputs import load_replication_table
from paradox.replication.survey import SurveyFit, attach_draws, fit_replication_survey

#: Exit status with --strict when the survey's fit fails a convergence check (as `paradox fit`).
EXIT_NOT_CONVERGED = 3

#: Every file `paradox replicate` writes into DIR (an earlier output is recognised by them).
OUTPUT_FILES = ("criteria.csv", "verdicts.csv", "summary.md", "replication.png", "run.json", "convergence.csv")

DESCRIPTION = """\
Judge a replication against the original, contrast by contrast, with every established
criterion side by side: significance in the same direction, the original inside the
replication's 95% CI, the replication inside the original's 95% prediction interval,
small telescopes (d33%), the fixed-effect combination, the sceptical p-value, the
replication Bayes factor, and the posterior with the original as prior (with the
paradox test's verdict for moderators given with `moderator` and `level`).

TABLE has one row per study and contrast (columns: contrast, study = original or
replication, and the numbers as published: means/SDs/Ns, t or F with group sizes or
df, or a ready effect yi/vi); data/examples/README.md is its codebook. With --survey
and --config the replication is a raw survey instead, fitted with the package's SRP
model (the config as for `paradox fit`, with srp: true); TABLE then holds the originals
only, each naming its experiment (moderator) and level. Everything is checked first:
a bad column, value or row stops the run with a message naming it (exit status 2)
and nothing is written.
"""

EPILOG = """\
outputs in DIR:
  criteria.csv     one row per contrast: every criterion's quantity, uncertainty and decision
  verdicts.csv     the paradox test's verdict per moderator, on the posterior with the original as prior
  summary.md       the same in plain language, criterion by criterion
  replication.png  original against replication, with the prediction interval, d33% and the posterior
  run.json         inputs and settings
  convergence.csv  with --survey: the SRP model's R-hat, ESS and divergence checks

examples:
  paradox replicate data/examples/replication_summary.csv --out build/replicate
  paradox replicate data/examples/replication_originals.csv --survey data/examples/srp_replication_qualtrics.csv \
      --config data/examples/srp_replication.yaml --out build/replicate_survey
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("replicate", help="judge a replication against the original study",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", metavar="TABLE.csv", help="original and replication statistics, per contrast")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the results (written only if "
                        "all succeeds)")
    parser.add_argument("--survey", metavar="SURVEY", help="the replication as a raw survey file (with --config)")
    parser.add_argument("--config", metavar="ANALYSIS.yaml", help="with --survey: the analysis config of `paradox "
                        "fit`, with srp: true")
    parser.add_argument("--strict", action="store_true", help=f"with --survey: exit with status {EXIT_NOT_CONVERGED} "
                        "if the fit fails its convergence checks (the outputs are still written)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox replicate output in DIR (only the files it wrote)")
    parser.set_defaults(run=run_replicate)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")


def write_outputs(table: pd.DataFrame, verdicts: pd.DataFrame, out: Path, source: str,
                  fit: SurveyFit | None = None, survey: str | None = None) -> None:
    from paradox.figures import save  # figures import matplotlib: only when writing
    from paradox.figures.replication import replication_plot

    _write_csv(table, out / "criteria.csv")
    _write_csv(verdicts, out / "verdicts.csv")
    (out / "summary.md").write_text(report.summary(table, verdicts, survey))
    save(replication_plot(table, bayes.ROPE_D), out, "replication")
    run = {"table": source, "rope_d": bayes.ROPE_D, "verdict_draws": bayes.VERDICT_DRAWS}
    if fit is not None:
        fit.convergence.to_csv(out / "convergence.csv", lineterminator="\n")
        s = fit.settings
        run |= {"survey": survey, "draws": s.draws, "tune": s.tune, "chains": s.chains, "seed": s.seed,
                "sampler": s.nuts_sampler, "converged": bool(fit.convergence["passed"].all())}
    (out / "run.json").write_text(json.dumps(run, indent=2) + "\n")


def run_replicate(args) -> int:
    if (args.survey is None) != (args.config is None):
        raise InputError("--survey and --config go together: the survey, and the analysis config that reads it")
    if args.strict and args.survey is None:
        raise InputError("--strict is for --survey (a summary-statistics replication is not sampled)")
    inputs = [args.table] + ([args.survey, args.config] if args.survey else [])
    fit = None
    # DIR is checked, locked and its temporary folder made before anything else.
    with output_dir(args.out, command="replicate", inputs=inputs, may_write=OUTPUT_FILES,
                    overwrite=args.overwrite) as tmp:
        contrasts = load_replication_table(args.table, replication_given=args.survey is None)
        if args.survey is not None:
            fit = fit_replication_survey(args.survey, args.config, contrasts, str(args.table))
            contrasts = attach_draws(contrasts, fit)
        table = report.judge(contrasts)
        verdicts = report.moderator_verdicts(table, contrasts)
        write_outputs(table, verdicts, tmp, str(args.table), fit, args.survey)
    print(report.summary(table, verdicts, args.survey))
    print(f"wrote {args.out}")
    if fit is not None and not fit.convergence["passed"].all():
        print("paradox replicate: warning: the survey's fit failed a convergence check; see convergence.csv",
              file=sys.stderr)
        if args.strict:
            return EXIT_NOT_CONVERGED
    return 0
