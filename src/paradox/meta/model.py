"""The Bayesian random-effects meta-analysis and meta-regression.

For effect i of outcome k(i) from study s(i), with known sampling variance v_i:

    y_i     ~ Normal(theta_i, sqrt(v_i))
    theta_i = mu[k] + x_i . beta + u[s] + e_i
    u[s]    ~ Normal(0, sigma_study)      effects of one study share u: they are nested in it
    e_i     ~ Normal(0, tau[k])           between-study spread, one tau per outcome

The moderators x_i (and beta, for the moderated outcomes) enter only in the meta-regression;
the plain model gives the pooled effects, the prediction interval for a new study and I^2.
Without a study that gives two effects, sigma_study is left out (u and e could not be told apart).

How it is sampled (the same posterior, a better geometry for NUTS):
- u and e are integrated out exactly: a study's effects are jointly normal with covariance
  diag(v_i + tau_k^2) + sigma_study^2, whose log-density has a closed form per study
  (`study_log_likelihood`). Nothing is left of the funnel between a scale and the effects
  it scales, which non-centring (u = sigma z) only eases.
- each scale is sampled with its sign: HalfNormal(s) is the law of |Normal(0, s)| (and
  HalfCauchy of |Cauchy|), and the likelihood depends on the scale only through its square,
  so NUTS moves freely through zero instead of down the long tail of log(scale).
- u and theta are then drawn from their exact conditional posteriors (`add_effect_estimates`).
On the simulated example's meta-regression (4 chains x 1000 draws, two seeds), the non-centred
form with log-transformed scales gave 330-360 effective draws of its worst parameter and R-hat
up to 1.02; this form gives 1,650-1,770 and R-hat below 1.004.

Priors, on the data's scale (`MetaPriors.for_table`; every one settable, `paradox meta --prior-*`).
A fixed prior such as mu ~ Normal(0, 1) is weak for Hedges' g but decides the result for effects
in points with standard errors of ten (it pulled a REML mu of several points under half a point).
So with D = the root mean square of the observed effects, at least their typical standard error
(`data_scale`, in the effects' own unit):
    mu ~ Normal(0, 2 D),  tau, sigma_study ~ HalfNormal(D),  beta ~ Normal(0, D) per moderator unit,
each widened to its measure's floor for g (1, 0.5, 0.5, 0.5) and log RR (2, 1, 1, 1); raw mean
differences (`md`) have no floor. Every fit is checked (`prior_dominance`): posterior sd / prior sd
of each parameter with a prior; above PRIOR_DOMINANCE_LIMIT (0.5) the report warns that the prior
decides that parameter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from paradox import hypotheses, interrupt
from paradox.errors import InputError
from paradox.meta.classical import typical_variance
from paradox.meta.table import StudyTable
from paradox.models.sampling import sample, sample_prior_predictive, tidy_summary
from paradox.settings import SamplerSettings

#: Posterior probability beyond which a direction is called (the analogue of a 5% one-sided test).
DECISION_PROBABILITY = hypotheses.DECISION_PROBABILITY
#: Width of every reported credible interval (equal-tailed).
CI_PROB = 0.95
TAU_PRIORS = ("halfnormal", "halfcauchy")
#: Most effects one run takes. The per-study sums go through a dense studies x effects matrix, so time
#: and memory grow with the square of the table: 2,000 effects took 46 s and 2.0 GiB in fast mode
#: (2 cores, 2026-11-26) and write a 190 MB posterior.nc; 10,000 would need about 25 times that.
MAX_EFFECTS = 2000


#: Prior floors per effect measure: the data-scaled defaults are never narrower than these.
#: Hedges' g: most prior mass on |g| < 2; a log risk ratio spans wider. A raw mean difference
#: has no natural unit, so its priors come from the data alone.
MEASURE_FLOORS = {
    "g": {"mu_sd": 1.0, "tau_scale": 0.5, "study_sd_scale": 0.5, "beta_sd": 0.5},
    "log_rr": {"mu_sd": 2.0, "tau_scale": 1.0, "study_sd_scale": 1.0, "beta_sd": 1.0},
    "md": {"mu_sd": 0.0, "tau_scale": 0.0, "study_sd_scale": 0.0, "beta_sd": 0.0},
}
#: mu's default prior sd in multiples of the data's scale (`data_scale`): the pooled effect cannot
#: lie much beyond the observed effects (their root mean square includes it), so 2 scales leave it to the data.
MU_SD_PER_SCALE = 2.0
#: Posterior sd / prior sd above which the prior, not the data, decides a parameter: the data
#: have not even halved the prior's uncertainty (a posterior contraction below 0.75).
PRIOR_DOMINANCE_LIMIT = 0.5
#: The parameters that have a prior of their own (theta_new and I^2 are derived from them).
PRIOR_PARAMETERS = ("mu", "tau", "sigma_study", "beta")


def data_scale(table: StudyTable) -> float:
    """The scale of the observed effects, in their own unit: the root mean square of y (which
    estimates sqrt(mu^2 + tau^2 + v), so it covers the pooled effect, the spread and the noise),
    and at least the typical standard error (Higgins & Thompson's typical within-study variance)."""
    y = table.effects["yi"].to_numpy(dtype=float)
    return float(max(np.sqrt(np.mean(y**2)), np.sqrt(typical_variance(table.effects["vi"]))))


@dataclass(frozen=True)
class MetaPriors:
    """The priors of the meta-analysis, each settable (`paradox meta --prior-mu-sd` etc.):

    mu[k] ~ Normal(0, mu_sd); tau[k] ~ HalfNormal(tau_scale) (or HalfCauchy, `tau_prior`);
    sigma_study ~ HalfNormal(study_sd_scale); beta ~ Normal(0, beta_sd), per unit of a numeric
    moderator. `for_table` scales the defaults to the data (the rule is in `for_table`);
    `basis` says where the values came from, for the report."""

    mu_sd: float = 1.0
    tau_prior: str = "halfnormal"
    tau_scale: float = 0.5
    study_sd_scale: float = 0.5
    beta_sd: float = 0.5
    basis: str = "fixed"

    def __post_init__(self):
        if self.tau_prior not in TAU_PRIORS:
            raise ValueError(f"tau_prior must be one of {TAU_PRIORS}")
        for name in ("mu_sd", "tau_scale", "study_sd_scale", "beta_sd"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"prior {name} must be a positive number, not {value!r}")

    @classmethod
    def for_measure(cls, measure: str) -> "MetaPriors":
        """The measure's floors alone (Hedges' g or log risk ratio), without looking at the data."""
        if measure not in MEASURE_FLOORS or measure == "md":
            raise ValueError(f"measure {measure!r} has no default scale of its own: use MetaPriors.for_table")
        return cls(**MEASURE_FLOORS[measure], basis=f"{measure} defaults")

    @classmethod
    def for_table(cls, table: StudyTable, **overrides) -> "MetaPriors":
        """Defaults scaled to the data, with `overrides` (None = default) taking precedence.

        With D = data_scale(table) (root mean square of the effects, at least the typical SE), in
        the effects' own unit: mu_sd = 2 D, tau_scale = study_sd_scale = beta_sd = D, each raised
        to its measure's floor (MEASURE_FLOORS) for g and log RR. A table of g near 0.3 with
        SEs near 0.2 keeps the floors (mu ~ Normal(0, 1), tau ~ HalfNormal(0.5)); a table in points
        with SEs of 10 gets mu ~ Normal(0, 20 or more), tau ~ HalfNormal(10 or more)."""
        scale = data_scale(table)
        floors = MEASURE_FLOORS[table.measure]
        values = {"mu_sd": MU_SD_PER_SCALE * scale, "tau_scale": scale, "study_sd_scale": scale, "beta_sd": scale}
        values = {name: float(max(floors[name], value)) for name, value in values.items()}
        given = {name: value for name, value in overrides.items() if value is not None}
        unknown = set(given) - {"mu_sd", "tau_prior", "tau_scale", "study_sd_scale", "beta_sd"}
        if unknown:
            raise ValueError(f"unknown prior setting(s): {', '.join(sorted(unknown))}")
        basis = f"scaled to the data (D = {scale:.4g} in {table.measure} units)"
        if given:
            basis += "; set by the user: " + ", ".join(sorted(given))
        return cls(**(values | given), basis=basis)

    @property
    def tau_label(self) -> str:
        name = {"halfnormal": "HalfNormal", "halfcauchy": "HalfCauchy"}[self.tau_prior]
        return f"{name}({self.tau_scale:.4g})"

    def describe(self) -> str:
        return (f"mu ~ Normal(0, {self.mu_sd:.4g}); tau ~ {self.tau_label} per outcome; "
                f"sigma_study ~ HalfNormal({self.study_sd_scale:.4g}) (when studies give several effects); "
                f"beta ~ Normal(0, {self.beta_sd:.4g}) (meta-regression)")

    def prior(self, parameter: str) -> tuple[str, float]:
        """The prior of a parameter family as text, and its standard deviation (NaN for a half-Cauchy,
        which has none). HalfNormal(s) has sd s sqrt(1 - 2/pi)."""
        half_normal_sd = np.sqrt(1.0 - 2.0 / np.pi)
        if parameter == "mu":
            return f"Normal(0, {self.mu_sd:.4g})", self.mu_sd
        if parameter == "beta":
            return f"Normal(0, {self.beta_sd:.4g})", self.beta_sd
        if parameter == "sigma_study":
            return f"HalfNormal({self.study_sd_scale:.4g})", self.study_sd_scale * half_normal_sd
        if parameter == "tau":
            sd = self.tau_scale * half_normal_sd if self.tau_prior == "halfnormal" else float("nan")
            return self.tau_label, sd
        raise ValueError(f"{parameter!r} has no prior of its own")


def design_matrix(table: StudyTable) -> pd.DataFrame:
    """Moderator columns without an intercept: one dummy per non-baseline level
    ('service[restaurant]'), numeric moderators centred at their mean (so mu is the effect
    at the baseline levels and the average of the numeric moderators)."""
    columns = {}
    for moderator in table.moderators:
        values = table.effects[moderator.name]
        if moderator.is_numeric:
            columns[moderator.name] = values.to_numpy(dtype=float) - values.mean()
        else:
            for level in moderator.levels[1:]:
                columns[f"{moderator.name}[{level}]"] = (values == level).to_numpy(dtype=float)
    return pd.DataFrame(columns, index=table.effects.index)


def _scale(name: str, family: str, scale: float, dims: str | None = None):
    """A half-normal or half-Cauchy scale, sampled with its sign (see the module notes)."""
    signed_family = pm.Cauchy if family == "halfcauchy" else pm.Normal
    signed = signed_family(f"{name}_signed", 0.0, scale, dims=dims)
    return pm.Deterministic(name, pt.abs(signed), dims=dims)


def study_log_likelihood(resid, variance, sigma2, membership, xp=np):
    """log p(y_s | parameters) of each study, u and e integrated out.

    resid: y - (mu + x beta) per effect (last axis); variance: v + tau^2 per effect;
    sigma2: sigma_study^2; membership: studies x effects 0/1 matrix. By the matrix determinant
    lemma and Sherman-Morrison, for D = diag(variance) of one study's effects:
    log|D + s2 11'| = sum log d + log(1 + s2 sum 1/d), and
    r'(D + s2 11')^-1 r = sum r^2/d - s2 (sum r/d)^2 / (1 + s2 sum 1/d).
    xp: numpy, or pytensor.tensor inside the model.
    """
    per_study = lambda x: x @ membership.T  # noqa: E731 - sums over each study's effects
    sum_inv = per_study(1.0 / variance)
    sum_r = per_study(resid / variance)
    quadratic = per_study(resid**2 / variance) - sigma2 * sum_r**2 / (1.0 + sigma2 * sum_inv)
    log_det = per_study(xp.log(variance)) + xp.log1p(sigma2 * sum_inv)
    return -0.5 * (log_det + quadratic + membership.sum(axis=1) * np.log(2 * np.pi))


def membership_matrix(table: StudyTable) -> np.ndarray:
    """studies x effects: 1 where the effect belongs to the study."""
    codes = table.effects["study_id"].cat.codes.to_numpy()
    matrix = np.zeros((len(table.studies), len(codes)))
    matrix[codes, np.arange(len(codes))] = 1.0
    return matrix


def moderated_outcomes(table: StudyTable, moderated: list[str] | None = None) -> list[str]:
    """Outcomes whose effect the moderators may change: as given, else the outcome with the most
    effects (satisfaction in the SRP literature, as in de Matos et al. 2007). Giving every
    outcome its own coefficients invites chance findings in the sparse ones."""
    if moderated is None:
        counts = table.effects["outcome"].value_counts()
        return [max(table.outcomes, key=lambda o: counts[o])]
    unknown = [o for o in moderated if o not in table.outcomes]
    if unknown:
        raise InputError(f"no effects for moderated outcome(s) {', '.join(unknown)}; the table has: "
                         f"{', '.join(table.outcomes)}", file=table.source, column="outcome")
    return list(moderated)


def check_size(table: StudyTable) -> None:
    """Refuse, before any work, a table too large for the model to fit in reasonable time (MAX_EFFECTS)."""
    if len(table.effects) > MAX_EFFECTS:
        raise InputError(
            f"{len(table.effects):,} effects is more than this model takes in one run ({MAX_EFFECTS:,}: about "
            "a minute in fast mode; time and memory grow with the square of the number of effects). Analyse "
            "a part at a time (one outcome, or one moderator level), or pool the effects of each study first",
            file=table.source)


def build_model(table: StudyTable, priors: MetaPriors | None = None, *, regression: bool = False,
                moderated: list[str] | None = None) -> pm.Model:
    """The random-effects model, or (regression=True) the meta-regression of the `moderated`
    outcomes on the table's moderators (see `moderated_outcomes`)."""
    priors = priors or MetaPriors.for_table(table)
    effects = table.effects
    outcome = effects["outcome"].cat.codes.to_numpy()
    study = effects["study_id"].cat.codes.to_numpy()
    coords = {"outcome": table.outcomes, "study": table.studies, "effect": effects["row"].to_numpy()}
    if regression:
        X = design_matrix(table)
        if X.shape[1] == 0:
            raise ValueError("the meta-regression needs at least one moderator")
        coords |= {"moderated": moderated_outcomes(table, moderated), "term": list(X.columns)}
        # Row of beta for each effect; the extra last row of zeros serves the unmoderated outcomes.
        slot = np.array([coords["moderated"].index(o) if o in coords["moderated"] else len(coords["moderated"])
                         for o in effects["outcome"]])
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", 0.0, priors.mu_sd, dims="outcome")
        tau = _scale("tau", priors.tau_prior, priors.tau_scale, dims="outcome")
        mean = mu[outcome]
        if regression:
            beta = pm.Normal("beta", 0.0, priors.beta_sd, dims=("moderated", "term"))
            beta_rows = pt.concatenate([beta, pt.zeros((1, X.shape[1]))], axis=0)[slot]
            mean = mean + (beta_rows * X.to_numpy()).sum(axis=1)
        mean = pm.Deterministic("mu_effect", mean, dims="effect")  # effect i's mean before its study's deviation
        sigma2 = _scale("sigma_study", "halfnormal", priors.study_sd_scale) ** 2 if table.nested else 0.0
        variance = effects["vi"].to_numpy() + tau[outcome] ** 2
        pm.Potential("likelihood", study_log_likelihood(
            effects["yi"].to_numpy() - mean, variance, sigma2, membership_matrix(table), xp=pt).sum())
        if not regression:
            heterogeneity = sigma2 + tau**2
            # A new study's effect: the pooled mean plus both levels of spread.
            z_new = pm.Normal("z_new", 0.0, 1.0, dims="outcome")
            pm.Deterministic("theta_new", mu + pt.sqrt(heterogeneity) * z_new, dims="outcome")
            s2 = np.array([typical_variance(table.for_outcome(o)["vi"]) for o in table.outcomes])
            pm.Deterministic("I2", heterogeneity / (heterogeneity + s2), dims="outcome")
    return model


def add_effect_estimates(idata: xr.DataTree, table: StudyTable, seed: int) -> None:
    """Add `u_study` and `theta` (each effect as the model estimates it), drawn from their exact
    conditional posteriors given each draw of the parameters. With d = v + tau^2 and r = y - mu_effect:
    u_s ~ Normal(s2 sum(r/d) / (1 + s2 sum 1/d), sqrt(s2 / (1 + s2 sum 1/d))), then
    theta_i ~ Normal(m + B (y - m), sqrt(B v)) with m = mu_effect + u_s and B = tau^2 / d.
    Seeded, so a re-run gives the same draws."""
    post = idata["posterior"]
    effects, membership = table.effects, membership_matrix(table)
    rng = np.random.default_rng(seed)
    outcome = effects["outcome"].cat.codes.to_numpy()
    mean = post["mu_effect"].transpose("chain", "draw", "effect").to_numpy()
    tau2 = post["tau"].transpose("chain", "draw", "outcome").to_numpy()[..., outcome] ** 2
    sigma2 = post["sigma_study"].to_numpy()[..., None] ** 2 if "sigma_study" in post else np.zeros(mean.shape[:2] + (1,))
    v, y = effects["vi"].to_numpy(), effects["yi"].to_numpy()
    d = v + tau2
    precision = 1.0 + sigma2 * ((1.0 / d) @ membership.T)
    u = sigma2 * (((y - mean) / d) @ membership.T) / precision
    u = u + np.sqrt(sigma2 / precision) * rng.standard_normal(u.shape)
    centre = mean + u @ membership
    shrink = tau2 / d
    theta = centre + shrink * (y - centre) + np.sqrt(shrink * v) * rng.standard_normal(centre.shape)
    coords = {"chain": post["chain"].values, "draw": post["draw"].values}
    post["u_study"] = xr.DataArray(u, dims=("chain", "draw", "study"), coords=coords | {"study": table.studies})
    post["theta"] = xr.DataArray(theta, dims=("chain", "draw", "effect"), coords=coords | {"effect": post["effect"].values})


def fit(table: StudyTable, settings: SamplerSettings, priors: MetaPriors | None = None, *,
        regression: bool = False, moderated: list[str] | None = None) -> xr.DataTree:
    """Build and sample the model, add the effect estimates; the priors are recorded in the
    posterior's attributes."""
    priors = priors or MetaPriors.for_table(table)
    idata = sample(build_model(table, priors, regression=regression, moderated=moderated), settings)
    interrupt.check()  # nutpie returns the draws so far on Ctrl-C: never take them for a result
    add_effect_estimates(idata, table, settings.seed)
    idata["posterior"].attrs.update(priors=priors.describe(), measure=table.measure,
                                    model="meta-regression" if regression else "random effects")
    return idata


def sample_prior(table: StudyTable, settings: SamplerSettings, priors: MetaPriors | None = None,
                 draws: int = 1000) -> xr.DataTree:
    """Draws of the parameters, theta_new and I^2 from the priors alone (the prior predictive check)."""
    model = build_model(table, priors)
    with warnings.catch_warnings():
        # The likelihood is a Potential; leaving it out is exactly what a draw from the prior means.
        warnings.filterwarnings("ignore", message=".*[Pp]otential.*")
        return sample_prior_predictive(model, settings, draws=draws)


def prior_dominance(idata: xr.DataTree, priors: MetaPriors, parameters: tuple[str, ...] = PRIOR_PARAMETERS) -> pd.DataFrame:
    """For each parameter with a prior of its own: prior, prior sd, posterior sd and their ratio;
    `prior_decides` when the ratio exceeds PRIOR_DOMINANCE_LIMIT (the data have not halved the
    prior's uncertainty, so the prior, not the data, sets much of the result). A half-Cauchy has no
    sd: its rows have no ratio and are not flagged (prior_sensitivity.csv shows what it does).
    Other models use the same check (`paradox fit`): `parameters` names their variables, and `priors`
    is anything whose `prior(variable)` gives the prior as text and its sd."""
    names = [v for v in parameters if v in idata["posterior"].data_vars]
    summary = posterior_summary(idata, names)
    rows = []
    for parameter, posterior_sd in zip(summary["parameter"], summary["sd"]):
        prior, prior_sd = priors.prior(parameter.split("[")[0])
        ratio = posterior_sd / prior_sd if np.isfinite(prior_sd) else float("nan")
        rows.append({"parameter": parameter, "prior": prior, "prior_sd": prior_sd, "posterior_sd": posterior_sd,
                     "ratio": ratio, "prior_decides": bool(ratio > PRIOR_DOMINANCE_LIMIT)})
    return pd.DataFrame(rows)


def prior_warnings(check: pd.DataFrame, model: str, where: str = "paradox meta --help, 'priors'") -> list[str]:
    """One line per parameter whose prior decides it (see `prior_dominance`); `where` says where priors are set."""
    return [f"WARNING ({model}): the prior decides {row.parameter}: posterior sd {row.posterior_sd:.4g} is "
            f"{row.ratio:.2f} of the prior's sd {row.prior_sd:.4g} ({row.prior}; limit {PRIOR_DOMINANCE_LIMIT:g}); "
            f"the data have narrowed its prior little -- set the prior deliberately ({where})"
            for row in check.itertuples() if row.prior_decides]


def main_variables(idata: xr.DataTree) -> list[str]:
    """The parameters worth a summary row (not the per-effect standard normals)."""
    wanted = ["mu", "tau", "sigma_study", "beta", "theta_new", "I2"]  # not the signed scales nor per-effect draws
    return [v for v in wanted if v in idata["posterior"].data_vars]


def posterior_summary(idata: xr.DataTree, var_names: list[str] | None = None) -> pd.DataFrame:
    """parameter, mean, sd, 95% equal-tailed interval, r_hat, ess_bulk, ess_tail."""
    return tidy_summary(idata, var_names or main_variables(idata), CI_PROB)


def direction(p_positive: float, subject: str) -> str:
    """A verdict that only changes when the posterior crosses DECISION_PROBABILITY (the package's one rule)."""
    return f"{subject}: " + hypotheses.direction(
        p_positive,
        f"positive (P >= {DECISION_PROBABILITY:g})",
        f"negative (P(> 0) <= {1 - DECISION_PROBABILITY:.2g})",
        f"not distinguishable from zero ({1 - DECISION_PROBABILITY:.2g} < P(> 0) < {DECISION_PROBABILITY:g})",
    )


def _draws(idata: xr.DataTree, name: str) -> xr.DataArray:
    return idata["posterior"][name].stack(sample=("chain", "draw"))


def _interval(draws: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    tail = (1 - CI_PROB) / 2
    return draws.quantile(tail, dim="sample"), draws.quantile(1 - tail, dim="sample")


def pooled_effects(idata: xr.DataTree, table: StudyTable) -> pd.DataFrame:
    """Per outcome: pooled effect (mean, 95% interval, P(> 0)), prediction interval for a new study,
    tau, I^2 and the verdict line."""
    mu, new, tau, i2 = (_draws(idata, n) for n in ("mu", "theta_new", "tau", "I2"))
    (mu_lo, mu_hi), (new_lo, new_hi) = _interval(mu), _interval(new)
    p_positive = (mu > 0).mean("sample")
    rows = []
    for outcome in table.outcomes:
        sel = {"outcome": outcome}
        p = float(p_positive.sel(sel))
        rows.append({
            "outcome": outcome, "k": len(table.for_outcome(outcome)),
            "studies": table.for_outcome(outcome)["study_id"].nunique(),
            "mu_mean": float(mu.sel(sel).mean()), "mu_lower": float(mu_lo.sel(sel)), "mu_upper": float(mu_hi.sel(sel)),
            "p_positive": p, "predicted_lower": float(new_lo.sel(sel)), "predicted_upper": float(new_hi.sel(sel)),
            "tau_mean": float(tau.sel(sel).mean()), "I2_mean": float(i2.sel(sel).mean()),
            "verdict": direction(p, f"pooled effect on {outcome}"),
        })
    return pd.DataFrame(rows)


def moderator_effects(idata: xr.DataTree) -> pd.DataFrame:
    """Per outcome and moderator term: coefficient mean, 95% interval, P(> 0) and verdict."""
    beta = _draws(idata, "beta")
    lower, upper = _interval(beta)
    p_positive = (beta > 0).mean("sample")
    rows = []
    for outcome in beta["moderated"].values:
        for term in beta["term"].values:
            sel = {"moderated": outcome, "term": term}
            p = float(p_positive.sel(sel))
            rows.append({"outcome": outcome, "term": term, "mean": float(beta.sel(sel).mean()),
                         "ci_lower": float(lower.sel(sel)), "ci_upper": float(upper.sel(sel)), "p_positive": p,
                         "verdict": direction(p, f"{term} on {outcome}")})
    return pd.DataFrame(rows)


def expected_by_level(idata: xr.DataTree, table: StudyTable, outcome: str, moderator: str,
                      values=None) -> pd.DataFrame:
    """Posterior of the expected effect at each level (or value) of one moderator, the others held
    at this outcome's average mix in the table; for the moderator plot; with each number's Monte Carlo SE (`*_mcse`)."""
    X = design_matrix(table)
    rows_of_outcome = (table.effects["outcome"] == outcome).to_numpy()
    average = X[rows_of_outcome].mean()
    mod = next(m for m in table.moderators if m.name == moderator)
    if values is None:
        observed = table.effects[moderator]
        values = list(mod.levels) if not mod.is_numeric else np.linspace(observed.min(), observed.max(), 25)
    mu = _draws(idata, "mu").sel(outcome=outcome)
    beta = _draws(idata, "beta").sel(moderated=outcome)
    rows = []
    for value in values:
        x = average.copy()
        if mod.is_numeric:
            x[moderator] = value - table.effects[moderator].mean()
        else:
            for level in mod.levels[1:]:
                x[f"{moderator}[{level}]"] = float(value == level)
        expected = mu + (beta * xr.DataArray(x.to_numpy(), dims="term", coords={"term": list(x.index)})).sum("term")
        lower, upper = _interval(expected)
        by_chain = expected.unstack("sample")  # Monte Carlo SEs need the chains
        tail = (1 - CI_PROB) / 2
        rows.append({"value": value, "mean": float(expected.mean()), "ci_lower": float(lower), "ci_upper": float(upper),
                     "mean_mcse": float(az.mcse(by_chain, method="mean")),
                     "ci_lower_mcse": float(az.mcse(by_chain, method="quantile", prob=tail)),
                     "ci_upper_mcse": float(az.mcse(by_chain, method="quantile", prob=1 - tail))})
    return pd.DataFrame(rows)
