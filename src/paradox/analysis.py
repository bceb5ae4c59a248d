"""`paradox fit` under its earlier name: a re-export of paradox.fit (where the code lives), for existing imports."""

from paradox.errors import InputError
from paradox.fit.cli import EXIT_NOT_CONVERGED, FLAGS, format_result, register, run_fit
from paradox.fit.config import (COMMAND_LINE, CONFIG_KEYS, EXAMPLE_CONFIG, SRP_FACTORS, AnalysisConfig, ConfigError,
                                as_config, load_config)
from paradox.fit.report import report
from paradox.fit.result import FitResult
from paradox.fit.run import MAX_PREDICTIVE_DRAWS, Prepared, fit_survey, prepare, read_survey
from paradox.fit.srp import srp_design
from paradox.fit.writer import OUTPUT_FILES, run_record, write_outputs
from paradox.models.sampling import tidy_summary

__all__ = ["COMMAND_LINE", "CONFIG_KEYS", "EXAMPLE_CONFIG", "EXIT_NOT_CONVERGED", "FLAGS", "MAX_PREDICTIVE_DRAWS",
           "OUTPUT_FILES", "SRP_FACTORS", "AnalysisConfig", "ConfigError", "FitResult", "InputError", "Prepared",
           "as_config", "fit_survey", "format_result", "load_config", "prepare", "read_survey", "register",
           "report", "run_fit", "run_record", "srp_design", "tidy_summary", "write_outputs"]
