"""Judging a replication against the original study (`paradox replicate`).

    criteria  the frequentist criteria and the sceptical p-value
    bayes     the replication Bayes factor; the posterior with the original as prior, and its verdict
    inputs    the replication table (original and replication statistics per contrast), checked
    report    every criterion side by side per contrast, the verdicts, the plain-language summary
    cli       `paradox replicate TABLE.csv --out DIR`
"""

from paradox.replication.cli import register

__all__ = ["register"]
