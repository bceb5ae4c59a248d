"""Assurance curves for a replication: how many respondents per cell a conclusive answer needs (`paradox plan`).

For each hypothesis (one experiment of the design: a no-failure control and a recovery at the favourable and
at the unfavourable level of its moderator), a grid of cell sizes, and a design prior of the two recovery
effects, the plan simulates surveys of that experiment alone, fits each with the integrated ordinal model
(`paradox.studies.ObservedPatterns`: only the experiment's three cells, only the answer patterns a survey
shows), applies the package's verdict rule (`paradox.verdict`, the design's region of practical
equivalence and decision probability) and reports per size the probability of each verdict with its Monte
Carlo standard error, and the smallest size whose assurance (the probability of concluding "claim holds")
reaches the target. Beside it, for comparison: the power of Welch's one-sided t-test of the paradox at the
favourable level, and Simonsohn's (2015) small-telescopes rule of 2.5 times the original's cell size.

The design prior (`DesignPrior`), in logits of the ordinal model's latent satisfaction, comes from
* the original study (`priors_from_original`): its Hedges' g of each level against no failure, with its
  standard error, read from the table `paradox replicate` reads, each times the SD of one answer's latent
  satisfaction in the design, sqrt(respondent_sd^2 + pi^2/3) -- the inverse of the standardisation
  `paradox replicate` applies, and the same approximation;
* effects the user states (`priors_from_effects`), fixed;
* or by default the design file's assumed effects (`priors_from_design`): the synthetic stand-in's, fixed.
Each simulated survey draws its true effects from the prior (the same draw at every size: common random
numbers make the curve smooth), so assurance averages power over what the original leaves uncertain.

The fits run through `paradox.studies.run_study` on Dask (a LocalCluster, or --scheduler); each finished
fit is stored under `fits_dir`, so an interrupted plan resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from paradox import verdict as decision
from paradox.design import Design
from paradox.errors import InputError
from paradox.settings import SamplerSettings
from paradox.studies.tasks import NOT_CONVERGED, OUTCOMES

#: Draws per fit: 2 chains of 500 draws after 300 tuning steps, at a target acceptance of 0.8 (nutpie's own
#: defaults for tuning and acceptance). A probability near the decision threshold is then estimated to about
#: +/-0.01 (each fit's Monte Carlo SE of P(claim) is stored: `p_claim_mcse`), far below the binomial SE of the
#: assurance itself at 100 simulations (up to 0.05). The package's 0.95 elsewhere guards against the funnels of
#: a hierarchical spread (tau); the plan's model has none (one experiment, no pooling, respondents integrated
#: out), and a divergence still fails the checks. A fit that fails its convergence checks is refitted once with
#: twice the chains; one that fails again is "not converged", which never counts as a conclusion
#: (paradox.studies.fit_task). Measured 2026-11-28 on 100 fits of the severity experiment (20 per size, 20-160
#: per cell): 2.5 s per fit on average instead of 5.5 s with 500 tuning steps at 0.95, the same shares
#: refitted (31% against 28%) and not converged (4% and 4%), larger bulk ESS (median fit 2,100 against 1,700).
PLAN_DRAWS = {"draws": 500, "tune": 300, "chains": 2, "target_accept": 0.8}
#: The plan's fits run as a study (paradox.studies), which samples with nutpie only.
PLAN_SAMPLER = "nutpie"
DEFAULT_SIZES = (40, 80, 120, 160, 240)
DEFAULT_SIMULATIONS = 100
DEFAULT_TARGET = 0.8
#: One-sided level of the Welch test the assurance is compared with, by default: that of the package's Welch
#: verdicts, 1 - the decision probability (a plan uses its design's, `welch_level`).
WELCH_ALPHA = 1.0 - decision.DECISION_PROBABILITY
#: Small telescopes (Simonsohn 2015): a replication with 2.5 times the original's sample has about 80%
#: power to reject "the effect is as small as d33%" when the true effect is zero.
TELESCOPES_FACTOR = 2.5
#: Variance of the standard logistic distribution, the ordinal model's error.
LOGISTIC_VARIANCE = math.pi ** 2 / 3
#: The verdict whose probability is the assurance.
GOAL = decision.CLAIM
SYNTHETIC_SOURCE = "design file's assumed effects (SYNTHETIC stand-in, not a published study)"


@dataclass(frozen=True)
class DesignPrior:
    """Normal prior of (delta_fav, delta_unfav) of one experiment, in logits; sd 0 = a fixed effect."""

    moderator: str
    hypothesis: str
    favourable: tuple[float, float]    # mean, sd
    unfavourable: tuple[float, float]
    source: str
    original_n_per_cell: float | None = None  # for the small-telescopes rule

    def draws(self, simulations: int, seed: int) -> np.ndarray:
        """(simulations, 2) true effects, seeded by the master seed and the moderator."""
        rng = np.random.default_rng([seed, zlib.crc32(self.moderator.encode())])
        means = np.array([self.favourable[0], self.unfavourable[0]])
        sds = np.array([self.favourable[1], self.unfavourable[1]])
        return means + sds * rng.standard_normal((simulations, 2))


def latent_sd(design: Design) -> float:
    """SD of one answer's latent satisfaction in the design: respondents' spread plus the logistic error."""
    return math.sqrt(design.simulation.respondent_sd ** 2 + LOGISTIC_VARIANCE)


def _chosen(design: Design, hypotheses: list[str] | None) -> list[str]:
    """Moderators of the chosen hypotheses (given as H1 or as the moderator's name), in design order."""
    if not hypotheses:
        return design.moderators
    names = {e.hypothesis.lower(): e.moderator for e in design.experiments} | {m.lower(): m for m in design.moderators}
    unknown = [h for h in hypotheses if h.strip().lower() not in names]
    if unknown:
        raise InputError(f"--hypotheses: unknown {', '.join(map(repr, unknown))}; the design {design.path} has "
                         + ", ".join(f"{e.hypothesis} ({e.moderator})" for e in design.experiments))
    wanted = {names[h.strip().lower()] for h in hypotheses}
    return [m for m in design.moderators if m in wanted]


def priors_from_design(design: Design, hypotheses: list[str] | None = None) -> list[DesignPrior]:
    effects = design.simulation.effects
    return [DesignPrior(m, design.experiment(m).hypothesis, (effects[m]["recovery_favourable"], 0.0),
                        (effects[m]["recovery_unfavourable"], 0.0), SYNTHETIC_SOURCE,
                        float(design.experiment(m).n_per_cell))
            for m in _chosen(design, hypotheses)]


def parse_effect(text: str, design: Design) -> tuple[str, float, float]:
    """'MODERATOR=FAV,UNFAV' (logits) -> (moderator, fav, unfav); InputError naming the option."""
    name, sep, values = text.partition("=")
    parts = values.split(",")
    try:
        fav, unfav = (float(p) for p in parts)
        ok = sep and len(parts) == 2 and math.isfinite(fav) and math.isfinite(unfav)
    except ValueError:
        ok = False
    if not ok:
        raise InputError(f"--effect {text!r}: write MODERATOR=FAVOURABLE,UNFAVOURABLE in logits, "
                         "e.g. --effect severity=0.8,-0.5")
    moderator = name.strip()
    if moderator not in design.moderators:
        raise InputError(f"--effect {text!r}: the design {design.path} has no moderator {moderator!r}; it has "
                         f"{', '.join(design.moderators)}")
    return moderator, fav, unfav


def priors_from_effects(design: Design, effects: list[str], original_n: float | None = None) -> list[DesignPrior]:
    parsed = [parse_effect(e, design) for e in effects]
    moderators = [m for m, _, _ in parsed]
    twice = sorted({m for m in moderators if moderators.count(m) > 1})
    if twice:
        raise InputError(f"--effect gives {', '.join(twice)} more than once")
    order = {m: i for i, m in enumerate(design.moderators)}
    return [DesignPrior(m, design.experiment(m).hypothesis, (fav, 0.0), (unfav, 0.0), "effects stated by the user",
                        original_n)
            for m, fav, unfav in sorted(parsed, key=lambda p: order[p[0]])]


def priors_from_original(path: str | Path, design: Design, hypotheses: list[str] | None = None) -> list[DesignPrior]:
    """The design prior of each moderator the original table gives at both levels (the table of `paradox
    replicate`: its original rows; replication rows, if any, are ignored)."""
    from paradox.data import read_table
    from paradox.replication.inputs import REPLICATION, check_replication_table

    frame = read_table(path)
    study = frame["study"].astype(str).str.strip().str.lower() if "study" in frame else pd.Series(dtype=str)
    contrasts = check_replication_table(frame, source=str(path), replication_given=bool((study == REPLICATION).any()))
    unnamed = [c.name for c in contrasts if c.moderator is None]
    if unnamed:
        raise InputError(f"every contrast needs `moderator` (the design's experiment) and `level` (favourable or "
                         f"unfavourable) to plan its replication; {', '.join(map(repr, unnamed))} has none",
                         file=path, column="moderator")
    unknown = sorted({c.moderator for c in contrasts} - set(design.moderators))
    if unknown:
        raise InputError(f"the design {design.path} has no experiment {', '.join(map(repr, unknown))}; it has "
                         f"{', '.join(design.moderators)}", file=path, column="moderator")
    scale = latent_sd(design)
    wanted = set(_chosen(design, hypotheses))
    priors = []
    for moderator in design.moderators:
        levels = {c.level: c.original for c in contrasts if c.moderator == moderator}
        if moderator not in wanted or not levels:
            continue
        if set(levels) != {"favourable", "unfavourable"}:
            raise InputError(f"moderator {moderator!r} has only its {next(iter(levels))} level; a plan needs the "
                             "original's contrast at both levels", file=path, column="level")
        sizes = [n for e in levels.values() for n in (e.n1, e.n2) if n is not None]
        fav, unfav = levels["favourable"], levels["unfavourable"]
        priors.append(DesignPrior(moderator, design.experiment(moderator).hypothesis,
                                  (fav.value * scale, fav.se * scale), (unfav.value * scale, unfav.se * scale),
                                  f"original study ({path}), Hedges' g x {scale:.2f}",
                                  float(np.mean(sizes)) if sizes else None))
    if not priors:
        raise InputError("no contrast of the chosen hypotheses in the table", file=path, column="moderator")
    return priors


# --- the simulation study ------------------------------------------------------------------------------------

def _scenario_name(simulation: int, size: int) -> str:
    # Simulation first: the runner orders tasks by name, so an interrupted plan has every size about as far.
    return f"s{simulation:04d}_n{size:05d}"


def plan_study(design: Design, prior: DesignPrior, sizes: list[int], simulations: int, settings: SamplerSettings):
    """The study of one hypothesis: its experiment alone, one scenario per (simulated truth, cell size)."""
    from paradox.studies import ObservedPatterns, Scenario, Study

    experiment = design.experiment(prior.moderator)
    alone = dataclasses.replace(design, experiments=(experiment,))
    truths = prior.draws(simulations, settings.seed)
    scenarios = tuple(Scenario(_scenario_name(i, n), ((prior.moderator, float(fav), float(unfav)),), n_per_cell=n)
                      for i, (fav, unfav) in enumerate(truths) for n in sizes)
    return Study(name=f"plan_{prior.moderator}", design=alone, scenarios=scenarios, replicates=1,
                 method=ObservedPatterns(pooled=False), settings=settings, rule=design.rule("logit"))


def plan_settings(env: dict | None = None) -> SamplerSettings:
    """PLAN_DRAWS with the master seed of paradox.settings (or PARADOX_SEED), sampled with nutpie whatever
    PARADOX_SAMPLER says: a plan's fits run as a study (paradox.studies), which compiles one nutpie model per
    worker and swaps each survey's data into it. Another sampler asked for is named in a warning, not ignored
    silently."""
    settings = SamplerSettings.from_env(env)
    if settings.nuts_sampler != PLAN_SAMPLER:
        warnings.warn(f"PARADOX_SAMPLER={settings.nuts_sampler} does not apply to a replication plan: its fits "
                      f"sample with {PLAN_SAMPLER} (one compiled model per worker, paradox.studies)", stacklevel=2)
    return settings.with_(nuts_sampler=PLAN_SAMPLER, **PLAN_DRAWS)


def default_fits_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "paradox" / "plan"


def study_directory(base: str | Path, study) -> Path:
    """One folder per study, named by what its rows depend on: the same plan resumes, another starts afresh."""
    digest = hashlib.sha256(study.fingerprint_json().encode()).hexdigest()[:16]
    return Path(base) / f"{study.name}-{digest}"


# --- the summary ------------------------------------------------------------------------------------------------

def rate(indicator) -> tuple[float, float]:
    """Share of simulations with the event and its Monte Carlo standard error, sqrt(p (1 - p) / n) (each
    simulation an independent survey; n - 1 in the variance, as the calibration study). Given numbers instead of
    events: their mean over the simulations and its Monte Carlo standard error, sd / sqrt(n)."""
    x = np.asarray(indicator, dtype=float)
    n = len(x)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def welch_power(d: float, n_per_cell: float, alpha: float = WELCH_ALPHA) -> float:
    """Power of Welch's one-sided two-sample t-test at level alpha (H1: the first group is higher by d SDs),
    two cells of n_per_cell with equal SDs: Welch's df is then 2 (n - 1) and t is noncentral with
    ncp = d sqrt(n / 2)."""
    df = 2 * (n_per_cell - 1)
    return float(stats.nct.sf(stats.t.isf(alpha, df), df, d * np.sqrt(n_per_cell / 2)))


def welch_level(design: Design) -> float:
    """The one-sided level of the design's Welch verdicts, 1 - its decision probability (paradox.verdict)."""
    return 1.0 - design.decision.probability


def telescopes_size(original_n_per_cell: float | None) -> int | None:
    """Simonsohn's (2015) rule: a replication of 2.5 times the original's cell size."""
    return None if original_n_per_cell is None else int(math.ceil(TELESCOPES_FACTOR * original_n_per_cell))


def assurance_table(rows: pd.DataFrame, priors: list[DesignPrior], design: Design,
                    simulations: int | None = None) -> pd.DataFrame:
    """One row per hypothesis and cell size: the rate of each verdict with its Monte Carlo SE, the assurance
    (the rate of GOAL), Welch's power and its average over the prior (over the simulated surveys' true effects,
    with its Monte Carlo SE), the share of fits refitted for convergence (paradox.studies.fit_task) and the
    rate of fits that did not converge even then (NOT_CONVERGED: no conclusion), fit time."""
    by_moderator = {p.moderator: p for p in priors}
    scale = latent_sd(design)
    out = []
    for (moderator, size), group in rows.groupby(["moderator", "n_per_cell"], sort=False):
        prior = by_moderator[moderator]
        record = {"hypothesis": prior.hypothesis, "moderator": moderator, "n_per_cell": int(size),
                  "n_sims": len(group)}
        for name in OUTCOMES:
            column = "rate_" + name.replace(" ", "_")
            record[column], record[column + "_mc_se"] = rate(group["verdict"] == name)
        record["assurance"], record["assurance_mc_se"] = record["rate_claim_holds"], record["rate_claim_holds_mc_se"]
        record["rate_conclusive"], record["rate_conclusive_mc_se"] = rate(
            ~group["verdict"].isin([decision.INCONCLUSIVE, NOT_CONVERGED]))
        record["welch_power"] = welch_power(prior.favourable[0] / scale, size, welch_level(design))
        # at each survey's true effect
        powers = [welch_power(d / scale, size, welch_level(design)) for d in group["true_delta_fav"]]
        record["welch_assurance"], record["welch_assurance_mc_se"] = rate(powers)
        record["mean_p_claim_mcse"] = float(group["p_claim_mcse"].mean()) if "p_claim_mcse" in group else float("nan")
        record["share_refitted"] = float(group["refitted"].mean())
        record["median_sample_s"] = float(group["sample_s"].median()) if "sample_s" in group else float("nan")
        out.append(record)
    table = pd.DataFrame(out)
    order = {m: i for i, m in enumerate(design.moderators)}
    return table.sort_values(["moderator", "n_per_cell"], key=lambda c: c.map(order) if c.name == "moderator" else c,
                             ignore_index=True)


def smallest_size(table: pd.DataFrame, target: float, column: str = "assurance") -> dict[str, int | None]:
    """Per moderator, the smallest cell size whose `column` reaches `target` (None: no size in the grid does)."""
    result = {}
    for moderator, group in table.groupby("moderator", sort=False):
        reached = group.loc[group[column] >= target, "n_per_cell"]
        result[moderator] = int(reached.min()) if len(reached) else None
    return result


def welch_size(prior: DesignPrior, design: Design, target: float, largest: int = 100_000) -> int | None:
    """Smallest cell size at which Welch's test reaches `target` power at the prior's mean effect."""
    d, alpha = prior.favourable[0] / latent_sd(design), welch_level(design)
    if d <= 0 or welch_power(d, largest, alpha) < target:
        return None
    low, high = 2, largest
    while low < high:
        mid = (low + high) // 2
        low, high = (mid + 1, high) if welch_power(d, mid, alpha) < target else (low, mid)
    return low


def summary(table: pd.DataFrame, priors: list[DesignPrior], design: Design, target: float) -> str:
    """The plan in plain language, hypothesis by hypothesis."""
    smallest = smallest_size(table, target)
    draws = ", ".join(f"{k} {v}" for k, v in PLAN_DRAWS.items())
    lines = ["# Replication plan: assurance of the paradox test", "",
             f"Each simulated survey of one experiment was fitted with the integrated ordinal model ({draws}) and "
             f"judged with the decision rule of the design (region of practical equivalence +/-{design.decision.rope_logit} "
             f"logits, decision probability {design.decision.probability}). Assurance = the share of simulated "
             f"replications that conclude \"{GOAL}\"; the target is {target:g}. Rates are Monte Carlo estimates "
             "(+/- their standard error).", ""]
    for prior in priors:
        group = table[table["moderator"] == prior.moderator]
        if group.empty:
            continue
        fav, unfav = prior.favourable, prior.unfavourable
        lines += [f"## {prior.hypothesis}: {prior.moderator}", "",
                  f"Design prior ({prior.source}): delta_fav {fav[0]:.2f} (SD {fav[1]:.2f}), delta_unfav "
                  f"{unfav[0]:.2f} (SD {unfav[1]:.2f}) logits.", ""]
        for row in group.itertuples():
            lines.append(f"* {row.n_per_cell} per cell ({row.n_sims} simulations): claim holds {row.assurance:.2f} "
                         f"+/- {row.assurance_mc_se:.2f}; any conclusion {row.rate_conclusive:.2f}; inconclusive "
                         f"{row.rate_inconclusive:.2f}; Welch's power {row.welch_power:.2f}"
                         + (f"; NOT CONVERGED {row.rate_not_converged:.2f} (fits that failed their checks twice; "
                            "counted as no conclusion)" if row.rate_not_converged > 0 else ""))
        n = smallest[prior.moderator]
        lines.append("")
        lines.append(f"Smallest cell size in the grid reaching assurance {target:g}: **{n}** per cell ({3 * n} "
                     "respondents in the experiment)." if n is not None else
                     f"No cell size in the grid reaches assurance {target:g}: try larger sizes.")
        welch = welch_size(prior, design, target)
        lines.append(f"For comparison, Welch's one-sided t-test (level {welch_level(design):.3g}) of the paradox at the "
                     f"favourable level reaches power {target:g} at {welch} per cell (at the prior's mean effect; it tests "
                     "recovery > no failure only, not the region of practical equivalence or the moderation)."
                     if welch is not None else "Welch's test of the paradox does not reach that power at any size "
                     "(the prior's mean effect is not positive).")
        telescopes = telescopes_size(prior.original_n_per_cell)
        if telescopes is not None:
            lines.append(f"The small-telescopes rule (Simonsohn 2015): 2.5 x the original's "
                         f"{prior.original_n_per_cell:g} per cell = {telescopes} per cell.")
        lines.append("")
    if any(p.source == SYNTHETIC_SOURCE for p in priors):
        lines.append("The effects behind this plan are the design file's ASSUMED effects of the synthetic stand-in, "
                     "not estimates from a published study.")
    return "\n".join(lines).rstrip() + "\n"


def simulate_plan(design: Design, priors: list[DesignPrior], sizes: list[int], simulations: int,
                  settings: SamplerSettings | None = None, fits_dir: str | Path | None = None,
                  workers: int | None = None, scheduler: str | None = None, progress: bool = True) -> pd.DataFrame:
    """Fit every simulated survey of every hypothesis (resuming from `fits_dir`); one row per survey, with
    its cell size in `n_per_cell`. Raises paradox.studies.StudyInterrupted on Ctrl-C (finished fits kept)."""
    from paradox.studies import run_study

    settings = settings or plan_settings()
    base = Path(fits_dir) if fits_dir is not None else default_fits_dir()
    frames = []
    for prior in priors:
        study = plan_study(design, prior, sizes, simulations, settings)
        frames.append(run_study(study, study_directory(base, study), workers=workers, scheduler=scheduler,
                                progress=progress).table())
    rows = pd.concat(frames, ignore_index=True)
    rows["n_per_cell"] = rows["scenario"].str.extract(r"_n(\d+)$", expand=False).astype(int)
    rows["simulation"] = rows["scenario"].str.extract(r"^s(\d+)_", expand=False).astype(int)
    return rows.sort_values(["moderator", "n_per_cell", "simulation"], kind="stable", ignore_index=True)


# --- the command ----------------------------------------------------------------------------------------------

#: Every file `paradox plan` writes into DIR.
OUTPUT_FILES = ("assurance.csv", "simulations.csv", "summary.md", "assurance_curves.png", "assurance_curves.csv",
                "run.json")

DESCRIPTION = """\
Assurance curves for a replication of each hypothesis: for a grid of cell sizes, simulate
surveys of the hypothesis's experiment (no failure, recovery at the favourable and at the
unfavourable level) from a design prior, fit each with the integrated ordinal model, judge
it with the design's decision rule, and report per size the probability of each verdict
with its Monte Carlo standard error and the smallest size whose probability of "claim
holds" reaches the target; beside it Welch's power and the small-telescopes rule.

The design prior: --original TABLE.csv (the original's Hedges' g per level with its
standard error, in the table `paradox replicate` reads, each contrast naming its
moderator and level), or --effect MODERATOR=FAV,UNFAV (logits, fixed), or by default
the design file's assumed effects (the synthetic stand-in's: labelled so). Fits run on
Dask (a LocalCluster of --workers processes, or --scheduler / PARADOX_SCHEDULER) and are
kept in --fits, so an interrupted plan resumes. Bad input stops the run before any fit
with a message naming it (exit status 2); nothing is written.
"""

EPILOG = """\
outputs in DIR:
  assurance.csv    one row per hypothesis and cell size: rate of each verdict +/- Monte Carlo SE, assurance,
                   Welch's power, convergence
  simulations.csv  one row per simulated survey: true effects, posterior summaries, probabilities, verdict
  summary.md       the plan in plain language
  assurance_curves.png, .csv  the assurance curves, and the numbers they draw
  run.json         inputs, sizes, draws, seed

examples:
  paradox plan --hypotheses H1 --sizes 40,80,160 --simulations 20 --out build/plan
  paradox plan --original data/examples/replication_originals.csv --sizes 40,80,160 --out build/plan_original
  paradox plan --effect stability=0.8,-0.4 --sizes 60,120,240 --target 0.9 --out build/plan_stated
"""


def _int_list(text: str, option: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"{option} {text!r}: give whole numbers separated by commas, e.g. 40,80,160") from None
    if not values:
        raise InputError(f"{option} is empty")
    return values


def check_sizes(sizes: list[int]) -> list[int]:
    bad = [n for n in sizes if n < 2]
    if bad:
        raise InputError(f"--sizes: a cell needs at least 2 respondents, not {bad[0]}")
    if len(set(sizes)) != len(sizes):
        raise InputError(f"--sizes gives a size twice: {sizes}")
    return sorted(sizes)


def register(subparsers) -> None:
    import argparse

    from paradox.design import DEFAULT_DESIGN

    parser = subparsers.add_parser("plan", help="assurance curves: how many respondents a replication needs",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the results (written only if "
                        "all succeeds)")
    prior = parser.add_mutually_exclusive_group()
    prior.add_argument("--original", metavar="TABLE.csv", help="the original study's statistics (as for paradox "
                       "replicate; each contrast with moderator and level)")
    prior.add_argument("--effect", action="append", metavar="MODERATOR=FAV,UNFAV",
                       help="a stated effect pair in logits (repeat for several hypotheses)")
    parser.add_argument("--original-n", type=float, metavar="N", help="with --effect: the original's cell size, "
                        "for the small-telescopes rule")
    parser.add_argument("--design", default=str(DEFAULT_DESIGN), metavar="DESIGN.yaml",
                        help="design file: items, scale, respondent spread, decision rule (default: the stand-in's)")
    parser.add_argument("--hypotheses", metavar="H1,H3", help="which hypotheses (H1 or the moderator's name); "
                        "default: all the prior gives")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), metavar="N,N,...",
                        help="respondents per cell to try (default %(default)s)")
    parser.add_argument("--simulations", type=int, default=DEFAULT_SIMULATIONS,
                        help="simulated surveys per size (default %(default)s)")
    parser.add_argument("--target", type=float, default=DEFAULT_TARGET, help="target assurance (default %(default)s)")
    parser.add_argument("--workers", type=int, help="LocalCluster worker processes (default: the cores)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (or PARADOX_SCHEDULER)")
    parser.add_argument("--fits", metavar="DIR", help=f"where finished fits are kept (default {default_fits_dir()})")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier paradox plan output in DIR (only the files it wrote)")
    parser.set_defaults(run=run_plan)


def priors_for(args, design: Design) -> list[DesignPrior]:
    hypotheses = [h for h in args.hypotheses.split(",") if h.strip()] if args.hypotheses else None
    if args.original_n is not None and not args.effect:
        raise InputError("--original-n goes with --effect (the original table gives its own sizes; the design file "
                         "its own)")
    if args.original_n is not None and not (math.isfinite(args.original_n) and args.original_n >= 2):
        raise InputError(f"--original-n must be a number of at least 2, not {args.original_n:g}")
    if args.original:
        return priors_from_original(args.original, design, hypotheses)
    if args.effect:
        priors = priors_from_effects(design, args.effect, args.original_n)
        if hypotheses:
            chosen = set(_chosen(design, hypotheses))
            priors = [p for p in priors if p.moderator in chosen]
            if not priors:
                raise InputError("--hypotheses chooses none of the moderators --effect gives")
        return priors
    return priors_from_design(design, hypotheses)


def run_plan(args) -> int:
    import json
    import sys

    from paradox.design import load_design
    from paradox.figures import save
    from paradox.figures.planning import plot_assurance
    from paradox.outputs import output_dir
    from paradox.studies import StudyInterrupted

    sizes = check_sizes(_int_list(args.sizes, "--sizes"))
    if args.simulations < 2:
        raise InputError(f"--simulations must be at least 2 (a Monte Carlo SE needs two), not {args.simulations}")
    if not 0 < args.target < 1:
        raise InputError(f"--target must lie between 0 and 1, not {args.target:g}")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, not {args.workers}")
    design = load_design(args.design)
    priors = priors_for(args, design)
    inputs = [args.design] + ([args.original] if args.original else [])
    with output_dir(args.out, command="plan", inputs=inputs, may_write=OUTPUT_FILES, overwrite=args.overwrite) as tmp:
        settings = plan_settings()
        try:
            rows = simulate_plan(design, priors, sizes, args.simulations, settings, args.fits, args.workers,
                                 args.scheduler)
        except StudyInterrupted as stopped:
            print(f"paradox plan: {stopped}", file=sys.stderr)
            raise
        table = assurance_table(rows, priors, design)
        smallest = smallest_size(table, args.target)
        telescopes = {p.moderator: telescopes_size(p.original_n_per_cell) for p in priors}
        table["smallest_n_reaching_target"] = table["moderator"].map(smallest).astype("Int64")
        table["telescopes_n"] = table["moderator"].map(telescopes).astype("Int64")
        table.to_csv(tmp / "assurance.csv", index=False, float_format="%.6g", lineterminator="\n")
        rows.to_csv(tmp / "simulations.csv", index=False, float_format="%.6g", lineterminator="\n")
        text = summary(table, priors, design, args.target)
        (tmp / "summary.md").write_text(text)
        synthetic = any(p.source == SYNTHETIC_SOURCE for p in priors)
        save(plot_assurance(table, args.target, smallest, telescopes,
                            caption="Effects: the design file's assumptions (synthetic stand-in), not a published "
                                    "study" if synthetic else None), tmp, "assurance_curves")  # not "assurance":
        # save() writes the figure's numbers to <name>.csv, which would replace the table above
        run = {"design": str(args.design), "original": args.original, "effects": args.effect, "sizes": sizes,
               "simulations": args.simulations, "target": args.target, "seed": settings.seed, **PLAN_DRAWS,
               "priors": [dataclasses.asdict(p) for p in priors]}
        (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    print(text)
    print(f"wrote {args.out}")
    return 0
