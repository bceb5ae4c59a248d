"""`paradox fit`: the package's analyses on your own survey file.

    config   the analysis config: each key, how it is read and checked (`AnalysisConfig`, `load_config`)
    run      read and check the data and the model, then sample (`prepare`, `fit_survey`)
    srp      the SRP part (`srp: true`): its design, and the surveys it refuses rather than misread
    priors   each reported parameter's prior, and the prior-dominance check (paradox.meta's)
    result   `FitResult`: everything one analysis produced, and `write`
    report   report.md: data, model, sampling, convergence, parameters
    writer   every file of DIR (summary, posterior, report, run record, figures)
    cli      `paradox fit DATA --out DIR`

From Python:

    from paradox.fit import fit_survey
    result = fit_survey("my_survey.csv", "analysis.yaml")
    result.summary                 # tidy table, one row per parameter
    result.write("results/my_fit") # everything `paradox fit --out` writes
"""

from paradox.fit.cli import register, run_fit
from paradox.fit.config import AnalysisConfig, ConfigError, load_config
from paradox.fit.result import FitResult
from paradox.fit.run import fit_survey, prepare, read_survey

__all__ = ["AnalysisConfig", "ConfigError", "FitResult", "fit_survey", "load_config", "prepare", "read_survey",
           "register", "run_fit"]
