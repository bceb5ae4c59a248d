"""Shared fixtures: the design, the committed synthetic survey, and small run settings. (Each worker's own
compile directory is set up by the conftest.py at the root, for notebooks and test modules alike.)"""

import os

import matplotlib
import pytest

matplotlib.use("Agg")

from paradox.data import load_survey  # noqa: E402
from paradox.design import load_design  # noqa: E402
from paradox.settings import SamplerSettings  # noqa: E402
from paradox.simulate import DEFAULT_OUTPUT  # noqa: E402


@pytest.fixture(scope="session")
def design():
    return load_design()


@pytest.fixture(scope="session")
def survey(design):
    return load_survey(DEFAULT_OUTPUT, design.survey_spec())


@pytest.fixture(scope="session")
def fast_settings():
    """Real sampling, sized for unit tests (the seed is the package's, or PARADOX_SEED's)."""
    return SamplerSettings.from_env({"PARADOX_MODE": "fast", **{k: v for k, v in os.environ.items()
                                                                if k in ("PARADOX_SEED", "PARADOX_SAMPLER")}})
