"""Bayesian meta-analysis of the service recovery paradox literature.

    effect_sizes  Hedges' g (or log risk ratio) from what papers report
    table         reading and checking a study table (data/meta/README.md is its codebook)
    classical     REML / DerSimonian-Laird fits, Egger's test, PET-PEESE, leave-one-out
    model         the Bayesian random-effects model and meta-regression
    sensitivity   prior sensitivity for tau, Bayesian leave-one-study-out
    example       the SIMULATED worked example
    cli           `paradox meta DATA.csv --out DIR`
"""

from paradox.meta.cli import register, run_meta
from paradox.meta.model import MetaPriors, build_model, fit, pooled_effects
from paradox.meta.table import Moderator, StudyTable, check_study_table, load_study_table

__all__ = ["MetaPriors", "Moderator", "StudyTable", "build_model", "check_study_table", "fit", "load_study_table",
           "pooled_effects", "register", "run_meta"]
