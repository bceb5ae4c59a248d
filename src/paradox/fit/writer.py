"""Writing a `paradox fit` result: the tables, the posterior, the report, the run record and the figures."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
import yaml

from paradox.data import describe
from paradox.fit.report import report

if TYPE_CHECKING:
    from paradox.fit.result import FitResult

#: Every file `paradox fit` can write into DIR (an earlier output is recognised by them).
OUTPUT_FILES = ("summary.csv", "summary.json", "posterior.nc", "report.md", "run.json", "config.yaml",
                "figures/effects.png", "figures/answer_check.png", "verdicts.csv", "srp_tests.csv")


def write_outputs(result: FitResult, directory: Path) -> None:
    """summary.csv/.json, posterior.nc, report.md, run.json, config.yaml, figures/*.png (+ verdicts.csv)."""
    from paradox.figures import save

    directory = Path(directory)
    result.summary.to_csv(directory / "summary.csv", index=False, float_format="%.6g")
    records = json.loads(result.summary.to_json(orient="records", double_precision=6))
    (directory / "summary.json").write_text(json.dumps(records, indent=1) + "\n")
    _posterior_to_save(result).to_netcdf(directory / "posterior.nc", engine="h5netcdf")
    if result.srp is not None:
        result.verdicts.to_csv(directory / "verdicts.csv", index=False, float_format="%.6g")
        result.srp.tests.to_csv(directory / "srp_tests.csv", index=False, float_format="%.6g")
    (directory / "config.yaml").write_text(yaml.safe_dump(result.config.as_dict(), sort_keys=False, allow_unicode=True))
    (directory / "run.json").write_text(json.dumps(run_record(result), indent=1, default=_json_default) + "\n")
    (directory / "report.md").write_text(report(result))
    for name, fig in result.figures().items():
        save(fig, directory / "figures", name)
        plt.close(fig)


def _posterior_to_save(result: FitResult) -> xr.DataTree:
    """The DataTree without the raw non-centred variables (`*_z`), which only repeat the intercepts."""
    tree = result.idata.copy()
    posterior = tree["posterior"].to_dataset()
    raw = [v for v in posterior.data_vars if str(v).endswith("_z")]
    tree["posterior"] = xr.DataTree(posterior.drop_vars(raw))
    return tree


def _json_default(value):
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return str(value)


def run_record(result: FitResult) -> dict:
    """What was fitted, to what, how, and whether it converged (run.json)."""
    s = result.settings
    data = describe(result.survey)
    source = Path(str(data["file"]))
    if source.is_file():
        # No machine's absolute path in a results file: relative to where the command ran, and a checksum.
        data["file"] = os.path.relpath(source.resolve(), Path.cwd())
        data["sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    return {
        "data": data,
        "model": {"family": result.config.model, "link": result.config.link if result.config.model == "ordinal" else None,
                  "parameters": result.regression.parameters, "likelihood_rows": result.regression.n_likelihood_rows,
                  "collapsed": result.regression.collapsed,
                  "respondent_intercept": result.regression.spec.respondent_intercept,
                  "priors": dataclasses.asdict(result.regression.spec.priors)},
        "sampling": {"draws": s.draws, "tune": s.tune, "chains": s.chains, "seed": s.seed,
                     "nuts_sampler": s.nuts_sampler, "target_accept": s.target_accept, "sampling_seconds": round(result.sampling_seconds, 1)},
        **({} if result.srp is None else {"srp_priors": dataclasses.asdict(result.srp_priors),
                                          "srp_gaussian_priors": dataclasses.asdict(result.srp_gaussian_priors)}),
        "prior_check": [] if result.prior_check is None else json.loads(result.prior_check.to_json(orient="records")),
        "notes": result.notes,
        "warnings": result.cautions,
        "ci_prob": result.config.ci_prob or 0.95,
        "converged": result.converged,
        "convergence": _records(result.convergence),
        **({} if result.srp is None else {"srp_convergence": _records(result.srp.convergence)}),
    }


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.reset_index().to_json(orient="records"))
