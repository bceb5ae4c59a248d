"""What numba's LLVM optimisation level costs and saves: the integrated SRP model of the whole synthetic survey
(unpooled) compiled with an empty cache, compiled again (warm), and sampled (4 chains x 1,500), at one NUMBA_OPT
level per process.

    for o in 1 3; do NUMBA_OPT=$o PYTENSOR_FLAGS=base_compiledir=$(mktemp -d) .venv/bin/python benchmarks/numba_opt.py; done

Measured 2026-11-27 02:13 on the idle machine, one process per level with an empty HOME and compile directory
(seconds): NUMBA_OPT=1 cold 73.1, warm 6.8, sampling 40.8; NUMBA_OPT=3 (numba's default) cold 76.1, warm 9.7,
sampling 37.3; at both levels the same mean recovery effect (-0.0282) and leapfrog steps per draw (14.18), to
the digits printed. Level 1 saves 3 s per compile and costs 9% of sampling time: with about 60 compiles and 900 s
of sampling in a `make test`, no gain, so the default stays. (An earlier run, 2026-11-26 on a machine busy
with a test run, was inconclusive.)
"""
import os
import time
import nutpie
from paradox.data import load_survey
from paradox.design import load_design
from paradox.simulate import DEFAULT_OUTPUT
from paradox.models.srp import ordinal_model
d=load_design(); s=load_survey(DEFAULT_OUTPUT, d.survey_spec())
m=ordinal_model(s, pooled=False, integrate_respondents=True)
r={}
t=time.perf_counter(); c=nutpie.compile_pymc_model(m, backend="numba"); r["cold"]=time.perf_counter()-t
t=time.perf_counter(); c=nutpie.compile_pymc_model(m, backend="numba"); r["warm"]=time.perf_counter()-t
t=time.perf_counter(); p=nutpie.sample(c, draws=1000, tune=500, chains=4, cores=2, seed=1, progress_bar=False, low_rank_modified_mass_matrix=True, target_accept=0.95); r["sample"]=time.perf_counter()-t
st=p["sample_stats"] if "sample_stats" in p else p.sample_stats
r["steps"]=float(st["n_steps"].mean())
post=p["posterior"] if "posterior" in p else p.posterior
r["effect_mean"]=float(post["recovery_effect"].mean())
print("NUMBA_OPT", os.environ.get("NUMBA_OPT","default"), {k: round(v,4) for k,v in r.items()}, flush=True)
