"""`paradox meta DATA.csv --out DIR`: the whole meta-analysis of a study table in one command."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from paradox.errors import InputError
from paradox.meta import classical
from paradox.meta.model import (MU_SD_PER_SCALE, PRIOR_DOMINANCE_LIMIT, TAU_PRIORS, MetaPriors, check_size, fit,
                                 main_variables, moderated_outcomes, moderator_effects, pooled_effects,
                                 posterior_summary, prior_dominance, prior_warnings)
from paradox.meta.sensitivity import bayes_leave_one_out, prior_sensitivity, verdicts_unchanged
from paradox.meta.table import MEASURES, Moderator, StudyTable, load_study_table
from paradox.models.sampling import convergence_report
from paradox.outputs import output_dir
from paradox.settings import SamplerSettings

#: Exit status when --strict is given and a fit fails its convergence checks.
EXIT_NOT_CONVERGED = 3
#: Every file `paradox meta` can write into DIR (an earlier output is recognised by them).
OUTPUT_FILES = ("effect_sizes.csv", "classical.csv", "summary.csv", "summary.json", "pooled.csv", "moderators.csv",
                "bias.csv", "leave_one_out.csv", "prior_sensitivity.csv", "prior_check.csv", "posterior.nc", "posterior_regression.nc",
                "forest.png", "funnel.png", "moderators.png", "convergence.txt", "conclusions.txt")

DESCRIPTION = """\
Bayesian random-effects meta-analysis of a study table (one row per effect).

Each row's effect is computed from what the paper reports (means/SDs/Ns, t, F, r,
counts, proportions, or a ready effect yi/vi) as Hedges' g, positive = paradox
(or as a log risk ratio with --measure log_rr, or as a raw mean difference in the
outcome's own units with --measure md). Effects are nested in studies, each
outcome has its own pooled effect and tau. The table is checked first: a bad column,
value or row stops the run with a message naming it (exit status 2) and nothing is
written. The codebook and a template are in data/meta/.
"""

EPILOG = f"""\
outputs in DIR:
  effect_sizes.csv        the effect size and variance computed for every row
  classical.csv           REML random-effects fit per outcome (mu, SE, tau^2, I^2, prediction interval)
  summary.csv, .json      posterior summary: parameter, mean, sd, 95% interval, r_hat, ess_bulk, ess_tail
  pooled.csv              pooled effect per outcome: P(> 0), prediction interval, tau, I^2, verdict
  moderators.csv          meta-regression coefficients per outcome (when there are moderators)
  bias.csv                Egger's test and PET-PEESE per outcome
  leave_one_out.csv       pooled effect without each study (REML refits, and Bayesian by PSIS)
  prior_sensitivity.csv   pooled effects under four priors for tau
  prior_check.csv         posterior sd / prior sd of every parameter with a prior (prior_decides above 0.5)
  posterior.nc, posterior_regression.nc   the posteriors (NetCDF, xarray.DataTree)
  forest.png, funnel.png, moderators.png
  convergence.txt         R-hat, ESS and divergence checks of every fit
  conclusions.txt         the verdicts

priors (each settable with --prior-*; the ones used are in summary.json):
  mu ~ Normal(0, mu_sd), tau ~ HalfNormal(tau_scale) per outcome, sigma_study ~ HalfNormal(study_sd_scale),
  beta ~ Normal(0, beta_sd) per unit of a moderator. Defaults are scaled to the data: with D = the root
  mean square of the observed effects (at least their typical standard error), mu_sd = {MU_SD_PER_SCALE:g} D and
  the others D, never below the measure's floor (g: 1, 0.5, 0.5, 0.5; log_rr: 2, 1, 1, 1; md: none).
  Every fit is checked: where posterior sd / prior sd > {PRIOR_DOMINANCE_LIMIT:g}, the prior decides that
  parameter, and a WARNING says so (conclusions.txt, prior_check.csv, stderr).

DIR must be new or empty; an earlier paradox meta output there is replaced only with
--overwrite (only the files it wrote). Exit status: 0 done; 2 bad input; 3 --strict and a fit
did not converge; 130 interrupted (Ctrl-C; nothing written); 1 unexpected error.

examples:
  paradox meta data/meta/srp_meta_example_simulated.csv --out results/meta
  paradox meta data/reference/bcg.csv --measure log_rr --moderator latitude --out /tmp/bcg
  paradox meta data/reference/bcg.csv --measure log_rr --no-moderators --ignore latitude --out /tmp/bcg
  paradox meta mytable.csv --moderator design --moderator alloc=random,alternate --out out/
  paradox meta points.csv --measure md --prior-mu-sd 50 --prior-tau-scale 20 --out out/
"""


def _whole(minimum: int):
    """An argparse type: a whole number of at least `minimum` (argparse reports others with exit status 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


def _positive(text: str) -> float:
    """An argparse type: a positive finite number (argparse reports others with exit status 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


_positive.__name__ = "positive number"


def register(subparsers) -> None:
    parser = subparsers.add_parser("meta", help="Bayesian meta-analysis of a table of studies",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", metavar="DATA.csv", help="the study table (see data/meta/README.md)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory for the results (written only if all succeeds)")
    parser.add_argument("--measure", choices=MEASURES, default="g",
                        help="effect measure: g = Hedges' g (default), log_rr = log risk ratio from counts, md = raw mean "
                             "difference in the outcome's own units (from means, or ready yi/vi)")
    parser.add_argument("--moderator", action="append", metavar="SPEC", dest="moderators",
                        help="a moderator for the meta-regression (repeat for several): NAME (numeric) or "
                             "NAME=level1,level2,... (categorical, first level is the baseline). Default: the SRP "
                             "moderators design, subjects, service that the table has")
    parser.add_argument("--no-moderators", action="store_true", help="skip the meta-regression")
    parser.add_argument("--no-prior-sensitivity", action="store_true",
                        help="skip the refits under other priors for tau (faster)")
    parser.add_argument("--ignore", action="append", metavar="COLUMN", default=[],
                        help="a column of the table to leave out (repeat for several; other columns outside the "
                             "codebook are refused)")
    parser.add_argument("--moderated", action="append", metavar="OUTCOME",
                        help="an outcome the moderators act on (repeat for several; default: the outcome with the "
                             "most effects)")
    priors = parser.add_argument_group("priors (default: scaled to the data, see below)")
    priors.add_argument("--prior-mu-sd", type=_positive, metavar="SD", help="mu ~ Normal(0, SD), per outcome")
    priors.add_argument("--prior-tau", choices=TAU_PRIORS, help="family of tau's prior (default halfnormal)")
    priors.add_argument("--prior-tau-scale", type=_positive, metavar="S", help="tau ~ HalfNormal(S), per outcome")
    priors.add_argument("--prior-study-sd-scale", type=_positive, metavar="S",
                        help="sigma_study ~ HalfNormal(S) (studies with several effects)")
    priors.add_argument("--prior-beta-sd", type=_positive, metavar="SD",
                        help="beta ~ Normal(0, SD) per unit of a moderator (meta-regression)")
    parser.add_argument("--seed", type=_whole(0), help="random seed (default: PARADOX_SEED or the package seed)")
    parser.add_argument("--draws", type=_whole(1), help="posterior draws per chain (default: from PARADOX_MODE)")
    parser.add_argument("--tune", type=_whole(0), help="tuning steps per chain")
    parser.add_argument("--chains", type=_whole(1), help="number of chains")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox meta output in DIR (only the files it wrote; other files "
                             "are kept). Without it, DIR must be new or empty")
    parser.add_argument("--strict", action="store_true",
                        help=f"exit with status {EXIT_NOT_CONVERGED} if any fit fails its convergence checks "
                             "(the results are still written, for diagnosis)")
    parser.set_defaults(run=run_meta)


@dataclass
class MetaResults:
    """Everything the command writes."""

    table: StudyTable
    priors: MetaPriors
    classical: pd.DataFrame
    posterior: xr.DataTree
    pooled: pd.DataFrame
    bias: pd.DataFrame
    leave_one_out: pd.DataFrame
    convergence: dict[str, pd.DataFrame] = field(default_factory=dict)
    regression: xr.DataTree | None = None
    moderators: pd.DataFrame | None = None
    prior_sensitivity: pd.DataFrame | None = None
    prior_check: pd.DataFrame | None = None

    @property
    def prior_warnings(self) -> list[str]:
        if self.prior_check is None:
            return []
        return [line for model, check in self.prior_check.groupby("model", sort=False)
                for line in prior_warnings(check, model)]

    @property
    def converged(self) -> bool:
        return all(report["passed"].all() for report in self.convergence.values())

    def conclusions(self) -> list[str]:
        lines = list(self.pooled["verdict"])
        if self.moderators is not None:
            lines += list(self.moderators["verdict"])
        if self.prior_sensitivity is not None:
            stable = verdicts_unchanged(self.prior_sensitivity)
            lines.append("verdicts under the four tau priors: "
                         + ("unchanged" if stable else "CHANGE (see prior_sensitivity.csv)"))
        if self.prior_check is not None:
            warnings = self.prior_warnings
            lines += warnings or [f"prior check: the data decide every parameter (posterior sd / prior sd <= "
                                  f"{PRIOR_DOMINANCE_LIMIT:g}; prior_check.csv)"]
        return lines


def analyse(table: StudyTable, settings: SamplerSettings, *, sensitivity: bool = True,
            moderated: list[str] | None = None, priors: MetaPriors | None = None) -> MetaResults:
    """Run every step: classical fits, the Bayesian model, meta-regression, bias and sensitivity.
    `priors` default: scaled to the data (`MetaPriors.for_table`)."""
    priors = priors or MetaPriors.for_table(table)
    posterior = fit(table, settings, priors)
    results = MetaResults(
        table=table, priors=priors, classical=classical.by_outcome(table), posterior=posterior,
        pooled=pooled_effects(posterior, table), bias=classical.publication_bias(table),
        leave_one_out=pd.concat([classical.leave_one_out(table).assign(method="REML refit"),
                                 bayes_leave_one_out(posterior, table).assign(method="Bayesian PSIS")],
                                ignore_index=True),
    )
    results.convergence["random effects"] = convergence_report(posterior, main_variables(posterior))
    checks = [prior_dominance(posterior, priors).assign(model="random effects")]
    if table.moderators:
        results.regression = fit(table, settings, priors, regression=True, moderated=moderated)
        results.moderators = moderator_effects(results.regression)
        results.convergence["meta-regression"] = convergence_report(results.regression, main_variables(results.regression))
        checks.append(prior_dominance(results.regression, priors).assign(model="meta-regression"))
    results.prior_check = pd.concat(checks, ignore_index=True)
    if sensitivity:
        fits = {priors.tau_label: posterior}
        results.prior_sensitivity = prior_sensitivity(table, settings, priors, fits=fits)
        for label, idata in fits.items():
            if label != priors.tau_label:
                results.convergence[f"tau ~ {label}"] = convergence_report(idata, main_variables(idata))
    return results


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts (NaN becomes null)."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """6 significant digits, so that re-runs diff cleanly."""
    frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")


def write_outputs(results: MetaResults, out: Path, settings: SamplerSettings) -> None:
    # Imported here: paradox.figures.meta imports paradox.meta, whose package imports this module.
    from paradox.figures import save
    from paradox.figures.meta import forest_plot, funnel_plot, moderator_plot

    table = results.table
    _write_csv(table.effects, out / "effect_sizes.csv")
    _write_csv(results.classical, out / "classical.csv")
    summary = posterior_summary(results.posterior).assign(model="random effects")
    if results.regression is not None:
        summary = pd.concat([summary, posterior_summary(results.regression).assign(model="meta-regression")])
        _write_csv(results.moderators, out / "moderators.csv")
        results.regression.to_netcdf(out / "posterior_regression.nc", engine="h5netcdf")
        save(moderator_plot(table, results.regression), out, "moderators")
    _write_csv(summary, out / "summary.csv")
    (out / "summary.json").write_text(json.dumps({
        "source": table.source, "measure": table.measure, "priors": results.priors.describe(),
        "priors_basis": results.priors.basis, "prior_check": _records(results.prior_check),
        "settings": {"draws": settings.draws, "tune": settings.tune, "chains": settings.chains, "seed": settings.seed},
        "parameters": _records(summary), "pooled": _records(results.pooled), "classical": _records(results.classical),
    }, indent=2) + "\n")
    _write_csv(results.pooled, out / "pooled.csv")
    _write_csv(results.bias, out / "bias.csv")
    _write_csv(results.leave_one_out, out / "leave_one_out.csv")
    if results.prior_sensitivity is not None:
        _write_csv(results.prior_sensitivity, out / "prior_sensitivity.csv")
    _write_csv(results.prior_check, out / "prior_check.csv")
    results.posterior.to_netcdf(out / "posterior.nc", engine="h5netcdf")
    save(forest_plot(table, results.posterior), out, "forest")
    save(funnel_plot(table, results.classical, results.bias), out, "funnel")
    (out / "convergence.txt").write_text("".join(
        f"== {name}\n{report.to_string()}\n\n" for name, report in results.convergence.items()))
    (out / "conclusions.txt").write_text("\n".join(results.conclusions()) + "\n")


def _moderators(args) -> list[Moderator] | None:
    """The --moderator options, checked: a name, distinct levels, no column of the codebook, none twice."""
    if args.no_moderators:
        if args.moderators:
            raise InputError("--no-moderators and --moderator contradict each other; give one of them")
        if args.moderated:
            raise InputError("--moderated names outcomes for the meta-regression, which --no-moderators skips")
        return []
    if args.moderators is None:
        return None
    moderators = [Moderator.parse(text) for text in args.moderators]
    names = [m.name for m in moderators]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"option --moderator: {', '.join(twice)} given more than once")
    return moderators


def _moderated(args) -> list[str] | None:
    if args.moderated is None:
        return None
    twice = sorted({o for o in args.moderated if args.moderated.count(o) > 1})
    if twice:
        raise InputError(f"option --moderated: {', '.join(twice)} given more than once")
    return list(args.moderated)


def _settings(args) -> SamplerSettings:
    overrides = {k: getattr(args, k) for k in ("seed", "draws", "tune", "chains") if getattr(args, k) is not None}
    return SamplerSettings.from_env().with_(**overrides)


def _priors(args, table: StudyTable) -> MetaPriors:
    """The data-scaled defaults, with the --prior-* options that were given."""
    return MetaPriors.for_table(table, mu_sd=args.prior_mu_sd, tau_prior=args.prior_tau,
                                tau_scale=args.prior_tau_scale, study_sd_scale=args.prior_study_sd_scale,
                                beta_sd=args.prior_beta_sd)


def run_meta(args) -> int:
    start = time.perf_counter()
    settings = _settings(args)
    moderators, moderated = _moderators(args), _moderated(args)
    # DIR is checked, locked and its temporary folder made before anything else: a bad DIR costs no work.
    with output_dir(args.out, command="meta", inputs=[args.data], may_write=OUTPUT_FILES,
                    overwrite=args.overwrite) as tmp:
        table = load_study_table(args.data, measure=args.measure, moderators=moderators, ignore=args.ignore)
        check_size(table)
        print(f"paradox meta: {len(table.effects)} effects from {len(table.studies)} studies in {args.data} "
              f"(measure {table.measure}; {settings.chains} chains x {settings.draws} draws, seed {settings.seed})")
        if table.moderators:
            moderated_outcomes(table, moderated)  # refuse an unknown outcome before sampling
        elif moderated:
            raise InputError("--moderated names outcomes for the meta-regression, but there are no moderators "
                             "(give --moderator NAME)", file=args.data)
        results = analyse(table, settings, sensitivity=not args.no_prior_sensitivity, moderated=moderated,
                          priors=_priors(args, table))
        write_outputs(results, tmp, settings)
    for row in results.classical.itertuples():
        print(f"REML {row.outcome}: mu = {row.mu:.4f} (SE {row.se:.4f}), tau^2 = {row.tau2:.4f}, "
              f"I^2 = {100 * row.i2:.1f}%, k = {row.k}")
    print(f"Bayesian ({results.priors.describe()}; {results.priors.basis}):")
    for row in results.pooled.itertuples():
        print(f"  {row.outcome}: mu = {row.mu_mean:.4f} [95%: {row.mu_lower:.3f}, {row.mu_upper:.3f}], "
              f"new study [95%: {row.predicted_lower:.3f}, {row.predicted_upper:.3f}], tau = {row.tau_mean:.3f}")
    print("\n".join(results.conclusions()))
    print(f"convergence: {'passed' if results.converged else 'FAILED (see convergence.txt)'}")
    print(f"wrote {args.out} in {time.perf_counter() - start:.1f} s")
    for line in results.prior_warnings:
        print(f"paradox meta: {line}", file=sys.stderr)
    if not results.converged:
        print(f"paradox meta: warning: a fit failed its convergence checks; see {Path(args.out) / 'convergence.txt'}",
              file=sys.stderr)
        if args.strict:
            return EXIT_NOT_CONVERGED
    return 0
