"""Run settings: the one place where seeds, draws and chains are decided.

Notebooks and the command line read them from the environment so that the same
notebook runs quickly under `make test` (PARADOX_MODE=fast) and fully under
`make reproduce` (PARADOX_MODE=full):

    PARADOX_MODE    fast | full          (default: full)
    PARADOX_SEED    master seed          (default: SEED below)
    PARADOX_DRAWS   draws per chain      (overrides the mode)
    PARADOX_TUNE    tuning steps         (overrides the mode)
    PARADOX_CHAINS  number of chains     (overrides the mode)
    PARADOX_CACHE   on | off | refresh   (default: on in full mode, off in fast mode; see paradox.cache)
    PARADOX_SAMPLER pymc | nutpie | numpyro | blackjax   (default: DEFAULT_NUTS_SAMPLER)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

#: The master seed of every sampler run (MCMC, prior and posterior predictive draws).
#: The synthetic survey has its own seed, in the design file it is generated from
#: (data/design/magnini2007_design.yaml, `simulation.seed`), because it is part of that data.
SEED = 20070321

#: nutpie, chosen on the benchmarks (README.md, Performance): on the notebooks' hierarchical ordinal
#: model it gives 2-4x PyMC's ESS per second at half its memory. One exception: the integrated SRP model
#: at 100,000 respondents did not reach R-hat < 1.01 in fast-mode draws with it (PyMC's NUTS did).
#: Named in every pm.sample call, because pm.sample picks a sampler by itself when none is given.
DEFAULT_NUTS_SAMPLER = "nutpie"

_MODES = {
    # fast: real sampling, as few draws as give R-hat < 1.01 and ESS >= 400 for the slowest-mixing
    # parameters. 4 x 600 draws were tried on 2026-11-26 and failed those checks in four notebooks (R-hat
    # 1.010-1.015, bulk ESS 376), so 4 x 1,000 draws it stays; the slowest is notebook 06's tau (bulk ESS
    # 536-820 of 4,000 draws), which gets 2,000 (SLOW_MIXING_MIN_DRAWS). Tuning is 500 steps: nutpie's own
    # default is 300.
    "fast": {"draws": 1000, "tune": 500, "chains": 4},
    # full: the numbers reported in README.md and the committed notebooks.
    "full": {"draws": 2500, "tune": 1500, "chains": 4},
}

#: Draws per chain, at least, for a model whose hierarchical spread mixes slowly: a tau over four experiments,
#: an sd over 150 sampled respondent intercepts. With fast mode's 1,000, R-hat's own noise reaches the 1.01
#: threshold (2026-11-26, 4 chains, largest R-hat at 1,000 -> 2,000 draws): notebook 06's ordinal tau 1.0105
#: (9 seeds; 1.0093 at the default seed, bulk ESS 536) -> 1.0041 (4 seeds); its Gaussian tau 1.011 -> 1.005
#: (8 seeds); notebook 07's respondent_sd 1.0114 -> 1.0034 (9 seeds). Measured again on 2026-11-28 (realistic
#: stand-in, scaled priors; benchmarks/slow_mixing_draws.py): at 1,000 draws notebook 06's tau passed 1.01 in 2 of 8
#: seeds (ordinal: 1.0142, 1.0109) and 2 of 12 (Gaussian: 1.0122, 1.0138). Full mode draws 2,500 anyway.
SLOW_MIXING_MIN_DRAWS = 2000

#: The most free parameters for which nutpie adapts a low-rank mass matrix (SamplerSettings.mass_matrix); larger
#: models, whose parameters are mostly sampled intercepts of respondents, get the diagonal one. Its cost grows with
#: the parameters and it does not pay there (benchmarks/mass_matrix.py, 2026-11-29): notebook 07's regression (161
#: parameters, 150 respondents) drew about 3x the ESS per second with the diagonal; the per-respondent SRP model
#: of 900 respondents took 3.3x as long per draw with the low-rank one, for a tenth of respondent_sd's ESS (its
#: slow tests, 4 x 4,000 draws, ran over an hour without finishing with it, 4 minutes without). The integrated
#: SRP models (at most 40 parameters) keep it.
LOW_RANK_MAX_PARAMETERS = 100

_CACHE_MODES = {"on", "off", "refresh"}

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"
FIGURES_DIR = ROOT / "figures"
RESULTS_DIR = ROOT / "results"


@dataclass(frozen=True)
class SamplerSettings:
    """How to run MCMC. Immutable so a notebook cannot change it half way."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = SEED
    nuts_sampler: str = DEFAULT_NUTS_SAMPLER
    target_accept: float = 0.95  # small steps: hierarchical spreads (tau) make funnels
    # PyMC's NUTS only (nutpie adapts its own way, from gradients too): mass-matrix adaptation that also
    # uses gradients, fewer divergences on the ordinal models.
    init: str = "jitter+adapt_diag_grad"
    # nutpie only: adapt the mass matrix as a diagonal plus a low-rank correction, from draws and gradients
    # (nutpie's adaptation="low_rank"). The ordinal models' thresholds move together, and a diagonal
    # mass matrix cannot follow that: on the integrated SRP model it cut the leapfrog steps per draw from
    # 20.5 to 12.6 at a higher ESS (notebook 02's fit, 4 x 1,000 draws). Only for models of at most
    # LOW_RANK_MAX_PARAMETERS free parameters (`mass_matrix`).
    low_rank_mass_matrix: bool = True
    # The deepest trajectory, 2**depth - 1 leapfrog steps (nutpie's maxdepth, PyMC's max_treedepth; both
    # default to 10). nutpie applies it from the first tuning step on and has no separate early cap (PyMC's
    # NUTS caps its first 200 tuning steps at depth 8), so a model that starts far from its posterior can run
    # trajectories of hundreds of steps while its step size and mass matrix are still wrong: see
    # hypotheses.settings_for.
    max_tree_depth: int = 10
    mode: str = "full"
    # Tests sample afresh (off); `make reproduce` reuses unchanged fits (on).
    cache: str = "off"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "SamplerSettings":
        env = dict(os.environ if env is None else env)
        mode = env.get("PARADOX_MODE", "full").strip().lower()
        if mode not in _MODES:
            raise ValueError(f"PARADOX_MODE must be one of {sorted(_MODES)}, not {mode!r}")
        base = dict(_MODES[mode])
        for key in ("draws", "tune", "chains"):
            value = env.get(f"PARADOX_{key.upper()}")
            if value:
                base[key] = int(value)
        seed = int(env.get("PARADOX_SEED", SEED))
        cache = env.get("PARADOX_CACHE", "off" if mode == "fast" else "on").strip().lower()
        if cache not in _CACHE_MODES:
            raise ValueError(f"PARADOX_CACHE must be one of {sorted(_CACHE_MODES)}, not {cache!r}")
        sampler = env.get("PARADOX_SAMPLER", DEFAULT_NUTS_SAMPLER).strip().lower()
        return cls(mode=mode, seed=seed, cache=cache, nuts_sampler=sampler, **base)

    def with_(self, **changes) -> "SamplerSettings":
        return replace(self, **changes)

    def for_slow_mixing(self) -> "SamplerSettings":
        """These settings with at least SLOW_MIXING_MIN_DRAWS draws per chain (see there)."""
        return self.with_(draws=max(self.draws, SLOW_MIXING_MIN_DRAWS))

    @property
    def is_fast(self) -> bool:
        return self.mode == "fast"

    def mass_matrix(self, n_parameters: int) -> str:
        """nutpie's mass-matrix adaptation for a model of `n_parameters` free parameters: "low_rank" where these
        settings ask for it and the model is small enough to gain from it (LOW_RANK_MAX_PARAMETERS), else "diag"."""
        return "low_rank" if self.low_rank_mass_matrix and n_parameters <= LOW_RANK_MAX_PARAMETERS else "diag"

    def nutpie_options(self, n_parameters: int) -> dict:
        """What nutpie.sample takes from these settings besides draws, chains and seed, for a model of
        `n_parameters` free parameters."""
        return {"target_accept": self.target_accept, "adaptation": self.mass_matrix(n_parameters),
                "maxdepth": self.max_tree_depth}


def output_dirs(settings: SamplerSettings) -> tuple[Path, Path]:
    """Where figures and result tables go.

    Full mode writes the committed figures/ and results/; fast mode (tests) writes
    under build/ so that `make test` never overwrites what reviewers compare.
    """
    if settings.is_fast:
        base = ROOT / "build" / "fast"
        return base / "figures", base / "results"
    return FIGURES_DIR, RESULTS_DIR
