"""The same seed gives the same numbers whether numba compiles afresh or loads its cache (README, "Where
randomness is decided"): notebook 02's model is fitted twice in fresh processes sharing one empty home
directory, the first compiling everything, the second loading it, and the draws must agree bit for bit.
With numba's fastmath on they did not (LLVM contracts and reassociates differently in the two cases)."""

import os
import subprocess
import sys

import numpy as np
import pytest

FIT = """
import sys
import numpy as np
from paradox.data import load_survey
from paradox.design import experiment_survey, load_design
from paradox.models import srp
from paradox.models.sampling import sample
from paradox.settings import SamplerSettings
from paradox.simulate import DEFAULT_OUTPUT
design = load_design()
survey = experiment_survey(load_survey(DEFAULT_OUTPUT, design.survey_spec()), "severity")
settings = SamplerSettings.from_env().with_(draws=200, tune=200, chains=2, cache="off")
posterior = sample(srp.ordinal_model(survey, integrate_respondents=True), settings)["posterior"]
np.savez(sys.argv[1], **{name: posterior[name].values for name in ("recovery_effect", "cutpoints", "respondent_sd")})
"""


@pytest.mark.slow
def test_cold_and_cached_compiles_give_identical_draws(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTENSOR_FLAGS"}
    env.update(HOME=str(home), PARADOX_MODE="fast", PARADOX_SAMPLER="nutpie")
    runs = []
    for name in ("cold", "cached"):
        out = tmp_path / f"{name}.npz"
        subprocess.run([sys.executable, "-c", FIT, str(out)], env=env, check=True, capture_output=True)
        runs.append(np.load(out))
    assert (home / ".pytensor").is_dir()  # the first run filled the empty cache the second one used
    cold, cached = runs
    for name in cold.files:
        assert np.array_equal(cold[name], cached[name]), name
