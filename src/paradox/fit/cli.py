"""`paradox fit DATA --out DIR`: the command line of the analysis of your own survey file."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from paradox.data import describe
import dataclasses

import yaml

from paradox.fit.config import CONFIG_KEYS, EXAMPLE_CONFIG, PRIOR_KEYS, load_config
from paradox.models.regression import Priors
from paradox.models.srp import GaussianPriors, OrdinalPriors
from paradox.fit.result import FitResult
from paradox.fit.run import fit_survey
from paradox.fit.writer import OUTPUT_FILES, write_outputs
from paradox.models.regression import FAMILIES, LINKS
from paradox.outputs import output_dir

#: Exit status of `paradox fit --strict` when sampling did not converge (bad input is 2).
EXIT_NOT_CONVERGED = 3



#: Flags that override config keys: flag -> (config key, argparse options).
FLAGS = {
    "--respondent": ("respondent", {"metavar": "COLUMN"}),
    "--items": ("items", {"metavar": "A,B,C"}),
    "--item-column": ("item_column", {"metavar": "COLUMN"}),
    "--answer-column": ("answer_column", {"metavar": "COLUMN"}),
    "--scale": ("scale", {"metavar": "LO,HI"}),
    "--labels": ("labels", {"metavar": "L1,L2,..."}),
    "--missing-values": ("missing_values", {"metavar": "V1,V2"}),
    "--factor": ("factors", {"metavar": "COLUMN[=L1,L2]", "action": "append",
                             "help": "a factor and its levels (baseline first; none: from the data); repeat "
                                     "for more; replaces the config's `factors`"}),
    "--covariates": ("covariates", {"metavar": "A,B"}),
    "--group": ("group", {"metavar": "COLUMN"}),
    "--weight": ("weight", {"metavar": "COLUMN"}),
    "--min-cell-size": ("min_cell_size", {"type": int, "metavar": "N"}),
    "--sheet": ("sheet", {"metavar": "NAME"}),
    "--model": ("model", {"choices": FAMILIES}),
    "--link": ("link", {"choices": LINKS}),
    "--respondent-intercept": ("respondent_intercept", {"action": "store_const", "const": True}),
    "--no-respondent-intercept": ("respondent_intercept", {"action": "store_const", "const": False,
                                                           "help": "sets `respondent_intercept: false`"}),
    "--integrate-respondents": ("integrate_respondents", {"action": "store_const", "const": True}),
    "--no-integrate-respondents": ("integrate_respondents", {"action": "store_const", "const": False,
                                                             "help": "sets `integrate_respondents: false`"}),
    "--srp": ("srp", {"action": "store_const", "const": True}),
    "--srp-pooled": ("srp_pooled", {"action": "store_const", "const": True,
                                    "help": "sets `srp_pooled: true` (the SRP models pool the experiments' effects)"}),
    "--prior": ("priors", {"metavar": "NAME=VALUE", "action": "append", "type": lambda text: _prior_flag(text),
                           "help": "set one prior, keeping the config's others; repeat for more. NAME is "
                                   "[KEY.]FIELD, KEY one of priors (the default), srp_priors, srp_gaussian_priors; "
                                   "e.g. --prior effect_sd=1 --prior srp_priors.respondent_sd=4. Names: "
                                   "{names}"}),
    "--draws": ("draws", {"type": int, "metavar": "N"}),
    "--tune": ("tune", {"type": int, "metavar": "N"}),
    "--chains": ("chains", {"type": int, "metavar": "N"}),
    "--seed": ("seed", {"type": int, "metavar": "N"}),
    "--target-accept": ("target_accept", {"type": float, "metavar": "P"}),
    "--ci-prob": ("ci_prob", {"type": float, "metavar": "P"}),
}


#: The prior fields each prior key has (`--prior KEY.FIELD=VALUE`).
PRIOR_FIELDS = {key: tuple(f.name for f in dataclasses.fields(kind))
                for key, kind in zip(PRIOR_KEYS, (Priors, OrdinalPriors, GaussianPriors))}


def _prior_flag(text: str) -> tuple[str, str, object]:
    """`--prior [KEY.]FIELD=VALUE` as (key, field, value); the value as YAML reads it (checked with the config)."""
    name, equals, value = text.partition("=")
    key, dot, field = name.strip().rpartition(".")
    key = key if dot else "priors"
    if not equals or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. effect_sd=1, got {text!r}")
    if key not in PRIOR_FIELDS or field not in PRIOR_FIELDS[key]:
        known = ", ".join(f"{k}.{f}" if k != "priors" else f for k in PRIOR_FIELDS for f in PRIOR_FIELDS[k])
        raise argparse.ArgumentTypeError(f"unknown prior {name.strip()!r}; known: {known}")
    return key, field, yaml.safe_load(value)


def _config_help() -> str:
    lines = []
    for section in ("data", "model", "sampling"):
        lines.append(f"  {section}:")
        for key, spec in CONFIG_KEYS.items():
            if spec.section == section:
                wrapped = textwrap.wrap(spec.help, width=58)
                lines.append(f"    {key:<21}{wrapped[0]}")
                lines += [f"    {'':<21}{w}" for w in wrapped[1:]]
    return "\n".join(lines)


HELP_EPILOG = f"""\
config keys (YAML; a flag of the same name overrides its key):
{_config_help()}

example config:
{textwrap.indent(EXAMPLE_CONFIG, '  ')}
example runs:
  paradox fit survey.csv --config analysis.yaml --out results/my_fit
  paradox fit data/reference/housing.csv --config data/examples/housing.yaml --out build/housing
  paradox fit export.csv --respondent ResponseId --items Q2_1,Q2_2 --scale 1,5 \\
      --factor condition=failure,recovery --out build/quick

inputs: .csv .txt .tsv (delimiter detected; a Qualtrics export's extra header rows are
  dropped), .xlsx/.xlsm (--sheet), SPSS .sav/.zsav and Stata .dta (answers as codes;
  factor codes shown with their value labels). Blank cells and missing_values in an item
  are missing answers: dropped and counted in report.md; a respondent with no answer,
  or any blank id, factor, covariate or weight, is an error.

outputs in DIR: summary.csv and summary.json (parameter, mean, sd, ci_lower, ci_upper,
  r_hat, ess_bulk, ess_tail), posterior.nc (NetCDF), report.md (data, model choices,
  convergence, every prior and its prior-dominance check; warnings also on stderr),
  run.json, config.yaml (the config as run), figures/effects.png and
  figures/answer_check.png, verdicts.csv (with srp: true).

DIR must be new or empty; an earlier paradox fit output there is replaced only with
  --overwrite (only the files it wrote). --out "", the current folder, the data's folder
  and folders above them are refused. Nothing is written unless the whole run succeeds.

exit status: 0 done; 2 bad input (nothing written to DIR); 3 with --strict when R-hat,
  ESS or divergences fail their thresholds (outputs are written, report.md says FAILED);
  130 interrupted (Ctrl-C; nothing written); 1 unexpected error (a bug; PARADOX_DEBUG=1).
  PARADOX_MODE=fast (fewer draws) or full (default) sets the sampling defaults.
"""


def register(subparsers) -> None:
    """Add `paradox fit` to the command line."""
    parser = subparsers.add_parser(
        "fit",
        help="fit a Bayesian ordinal (or Gaussian) regression to your own survey file",
        description=textwrap.fill(
            "Fit a Bayesian ordinal (or Gaussian) regression to a survey file and write a summary table, "
            "the posterior, figures and a convergence report to DIR. The data are checked before any "
            "sampling. Describe the analysis in a YAML config (keys below), with flags, or both.", width=78),
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA", help="the survey file (.csv, .xlsx, .sav, .dta, Qualtrics CSV)")
    parser.add_argument("--config", metavar="ANALYSIS.yaml", help="the analysis config (keys below)")
    parser.add_argument("--out", metavar="DIR", required=True, help="directory for the outputs (created)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox fit output in DIR (only the files it wrote; other files are "
                             "kept). Without it, DIR must be new or empty")
    parser.add_argument("--strict", action="store_true", help="exit with status 3 unless every convergence check passes")
    overrides = parser.add_argument_group("config overrides (each sets the config key of its name; lists comma-separated)")
    for flag, (key, options) in FLAGS.items():
        options = {"help": f"sets `{key}`", **options}
        options["help"] = options["help"].replace("{names}", ", ".join(
            f"{k}.{f}" if k != "priors" else f for k in PRIOR_FIELDS for f in PRIOR_FIELDS[k]))
        overrides.add_argument(flag, dest=f"config_{key}", default=None, **options)
    parser.set_defaults(run=run_fit)


def _overrides(args: argparse.Namespace) -> dict:
    values = {key: getattr(args, f"config_{key}", None) for key, _ in FLAGS.values()}
    for key, field, value in values.pop("priors") or ():  # --prior: one entry of a prior key each
        values.setdefault(key, {})
        values[key] = {**(values[key] or {}), field: value}
    if values["factors"] is not None:
        factors = {}
        for item in values["factors"]:
            name, _, levels = item.partition("=")
            factors[name.strip()] = [lv.strip() for lv in levels.split(",") if lv.strip()] or None
        values["factors"] = factors
    return values


def run_fit(args: argparse.Namespace) -> int:
    """`paradox fit`: check everything, sample, write DIR; returns the exit status."""
    out = Path(args.out)
    flag_names = {key: flag for flag, (key, _) in reversed(FLAGS.items())}  # a key's first flag names it
    flag_names.update({key: "--prior" for key in PRIOR_KEYS})
    inputs = [args.data] + ([args.config] if args.config else [])
    # DIR is checked, locked and its temporary folder made before anything else: a bad DIR costs no work.
    with output_dir(args.out, command="fit", inputs=inputs, may_write=OUTPUT_FILES, overwrite=args.overwrite) as tmp:
        config = load_config(args.config, _overrides(args), flag_names)
        result = fit_survey(Path(args.data), config)
        write_outputs(result, tmp)
    print(format_result(result, out))
    for caution in result.cautions:
        print(f"paradox fit: warning: {caution}", file=sys.stderr)
    if args.strict and not result.converged:
        return EXIT_NOT_CONVERGED
    return 0


def format_result(result: FitResult, out: Path) -> str:
    """What the command prints: the parameter table, the convergence verdict and where the files are."""
    d = describe(result.survey)
    table = result.summary.set_index("parameter")
    shown = table.to_string(float_format=lambda v: f"{v:.4f}", formatters={
        "ess_bulk": "{:.0f}".format, "ess_tail": "{:.0f}".format, "r_hat": "{:.3f}".format})
    failed = result.convergence[~result.convergence["passed"]].index.tolist()
    if result.srp is not None:
        for name, report in result.srp_convergence():
            failed += [f"{name} {c}" for c in report[~report["passed"]].index]
    conv = "all checks passed" if not failed else f"FAILED ({', '.join(failed)})"
    s = result.settings
    return "\n".join([
        f"{d['file']}: {d['respondents']:g} respondents, {d['answers']:g} answers, "
        f"{d['missing_answers']} missing answers dropped",
        f"{result.config.model} model, {s.chains} chains x {s.draws} draws, seed {s.seed}, sampled in {result.sampling_seconds:.1f} s",
        "", shown, "",
        f"convergence (R-hat, ESS, divergences): {conv}",
        *([] if result.srp is None else ["", result.verdicts.to_string()]),
        f"outputs: {out}/",
    ])
