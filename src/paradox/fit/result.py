"""The result of one `paradox fit` analysis: what it fitted, its posterior and tables, and how to save it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from paradox.data import Survey
from paradox.design import Design
from paradox.fit.config import AnalysisConfig
from paradox.fit.writer import OUTPUT_FILES, write_outputs
from paradox.hypotheses import SRPResult
from paradox.models.regression import RegressionModel
from paradox.models.srp import GaussianPriors, OrdinalPriors
from paradox.outputs import output_dir
from paradox.settings import SamplerSettings


@dataclass
class FitResult:
    """Everything one analysis produced. `write(out)` saves it; the attributes are for notebooks."""

    config: AnalysisConfig
    settings: SamplerSettings
    survey: Survey
    regression: RegressionModel
    idata: xr.DataTree
    summary: pd.DataFrame
    convergence: pd.DataFrame
    srp: SRPResult | None = None
    srp_design: Design | None = None
    srp_priors: OrdinalPriors | None = None            # the SRP ordinal model's priors as used (scaled to the data)
    srp_gaussian_priors: GaussianPriors | None = None  # the SRP Gaussian model's, as used (scaled to the answer scale)
    notes: list[str] = field(default_factory=list)     # model choices, stated in report.md
    cautions: list[str] = field(default_factory=list)  # warnings: printed by `paradox fit`, and in report.md
    prior_check: pd.DataFrame | None = None            # posterior sd / prior sd per parameter (paradox.fit.priors)

    @property
    def verdicts(self) -> pd.DataFrame | None:
        """The SRP verdict table (one row per hypothesis and method), when the config asked for it."""
        return None if self.srp is None else self.srp.verdicts

    @property
    def sampling_seconds(self) -> float:
        """Seconds NUTS took to draw the posteriors of this analysis (every fitted model), as PyMC recorded them
        when the draws were made: an analysis served from the result cache reports the sampling that made its
        draws, not the time it took to read them."""
        fits = [self.idata] + ([] if self.srp is None else [self.srp.idata, self.srp.gaussian_idata])
        return sum(float(fit["posterior"].attrs.get("sampling_time", 0.0)) for fit in fits if fit is not None)

    @property
    def converged(self) -> bool:
        """Whether every convergence check passed (of the SRP model too, when there is one)."""
        return bool(self.convergence["passed"].all()) and all(
            bool(report["passed"].all()) for _, report in self.srp_convergence())

    def srp_convergence(self) -> list[tuple[str, pd.DataFrame]]:
        """(model name, convergence report) of each fitted SRP model (within subject there is no Gaussian one)."""
        if self.srp is None:
            return []
        reports = [("SRP ordinal model", self.srp.convergence), ("SRP Gaussian model", self.srp.gaussian_convergence)]
        return [(name, report) for name, report in reports if report is not None]

    def figures(self) -> dict:
        from paradox.figures import regression as figures

        return figures.fit_figures(self)

    def write(self, out: str | Path, overwrite: bool = True) -> Path:
        """Write every output into `out` at once; on any failure `out` is left as it was.

        An earlier output of `paradox fit` in `out` is replaced (unless `overwrite` is false);
        a folder holding other files is refused (see paradox.outputs)."""
        with output_dir(out, command="fit", inputs=[self.survey.source], may_write=OUTPUT_FILES,
                        overwrite=overwrite) as tmp:
            write_outputs(self, tmp)
        return Path(out)
