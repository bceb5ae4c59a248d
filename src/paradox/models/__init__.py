"""Statistical models. `sampling` runs and checks MCMC; `srp` holds the service-recovery-paradox models.

Every model is compiled with numba's fastmath off. With it on (pytensor's default), LLVM may reassociate
and contract floating-point operations differently in code compiled afresh and code loaded from numba's
cache, and MCMC carries that last-bit difference into every number: a cold and a warm run of the same
seed disagreed by up to 3% in posterior summaries (tests/test_studies.py). Off, they agree bit for bit, at
20-35% more time per gradient (benchmarks/quadrature_accuracy.py --cost)."""

import pytensor

pytensor.config.numba__fastmath = False
