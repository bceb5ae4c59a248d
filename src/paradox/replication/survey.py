"""The replication as a raw survey: fitted with the package's SRP model, on the scale of the original.

The survey is read and checked as `paradox fit` reads it (an analysis config with `srp: true`), and the
hierarchical ordinal SRP model (`paradox.models.srp.ordinal_model`, respondents integrated out, as
`paradox fit` samples it) is fitted. Its recovery effects are
log odds on the latent satisfaction of one answer; each draw is standardised by that latent variable's
standard deviation, sqrt(respondent_sd^2 + pi^2/3) (respondents' spread plus the logistic error), to
compare with the original's Hedges' g. This is an approximation: the original's SD is usually that of a
scale mean over items, whose error variance is smaller, so the standardised replication effect can be
somewhat smaller than the g the same data would give from cell means.

Each original contrast names the experiment (`moderator`) and the recovery level (`level`) it compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from paradox import interrupt
from paradox.analysis import load_config, prepare
from paradox.design import EXPERIMENT
from paradox.errors import InputError
from paradox.hypotheses import settings_for
from paradox.models import srp
from paradox.models.sampling import convergence_report, sample
from paradox.replication.criteria import Estimate
from paradox.replication.inputs import Contrast
from paradox.settings import SamplerSettings

#: Variance of the standard logistic distribution, the ordinal model's error.
LOGISTIC_VARIANCE = np.pi**2 / 3


@dataclass
class SurveyFit:
    """Standardised recovery effects, (sample, experiment, recovery_level), and the fit's convergence checks."""

    draws: xr.DataArray
    convergence: pd.DataFrame
    settings: SamplerSettings


def standardised_effects(posterior: xr.Dataset) -> xr.DataArray:
    """Recovery effects in SDs of one answer's latent satisfaction, per draw, stacked into `sample`."""
    scale = np.sqrt(posterior["respondent_sd"] ** 2 + LOGISTIC_VARIANCE)
    d = posterior["recovery_effect"] / scale
    return d.stack(sample=("chain", "draw")).transpose("sample", "experiment", "recovery_level")


def fit_replication_survey(survey: str | Path, config: str | Path, contrasts: list[Contrast], source: str,
                           settings: SamplerSettings | None = None) -> SurveyFit:
    """Check the config, the survey and that it has every contrast's experiment (InputError, before any
    sampling), then fit. `source` is the table the contrasts come from, for messages."""
    analysis = load_config(config)
    if not analysis.srp:
        raise InputError("the analysis config needs `srp: true`: the replication is judged on the SRP model's "
                         "recovery effects", file=config)
    prepared = prepare(Path(survey), analysis)
    _check_experiments(contrasts, sorted(set(prepared.survey.respondents[EXPERIMENT].astype(str))), source)
    settings = analysis.sampler_settings(settings or SamplerSettings.from_env().with_(cache="off"))
    # Only the ordinal model (as paradox fit's SRP analysis samples it: respondents integrated out, the config's
    # pooling, unpooled by default as the plan's simulations); the Gaussian model and Welch's tests of analyse_srp
    # are not needed here.
    model = srp.ordinal_model(prepared.survey, integrate_respondents=True, pooled=analysis.srp_pooled)
    idata = sample(model, settings_for(model, settings))
    interrupt.check()  # nutpie returns the draws so far on Ctrl-C: never take them for a result
    return SurveyFit(standardised_effects(idata["posterior"].to_dataset()), convergence_report(idata), settings)


def _check_experiments(contrasts: list[Contrast], experiments: list[str], source: str) -> None:
    missing = [c.name for c in contrasts if c.moderator is None]
    if missing:
        raise InputError(f"with a survey, every contrast needs `moderator` (the experiment) and `level` "
                         f"(favourable or unfavourable); {', '.join(map(repr, missing))} has none", file=source,
                         column="moderator")
    unknown = sorted({c.moderator for c in contrasts} - set(experiments))
    if unknown:
        raise InputError(f"the survey has no experiment {', '.join(map(repr, unknown))}; it has: "
                         f"{', '.join(experiments)}", file=source, column="moderator")


def attach_draws(contrasts: list[Contrast], fit: SurveyFit) -> list[Contrast]:
    """Each original contrast with the survey's draws of the same experiment and level as its replication."""
    attached = []
    for c in contrasts:
        draws = fit.draws.sel(experiment=c.moderator, recovery_level=c.level).to_numpy()
        replication = Estimate(float(draws.mean()), float(draws.std(ddof=1)))
        attached.append(Contrast(c.name, c.original, replication, c.moderator, c.level, draws=draws))
    return attached
