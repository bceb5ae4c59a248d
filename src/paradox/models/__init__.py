"""Statistical models. `sampling` runs and checks MCMC; `srp` holds the service-recovery-paradox models."""
