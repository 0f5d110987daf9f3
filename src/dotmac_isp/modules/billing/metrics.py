"""Billing's figures for Prometheus: billing runs, the emails they queue, dunning stages.

Counts are added once the transaction holding the work has committed, so a chunk that is
rolled back counts nothing.
"""

from __future__ import annotations

from dotmac_isp.sdks.services import metrics

RUN_DURATION = metrics.histogram(
    "billing_run_duration_seconds", "Time one tenant's billing run took, by outcome",
    ["outcome"], buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800))
PERIODS_BILLED = metrics.counter("billing_periods_billed_total",
                                 "Subscription-periods the billing run billed")
INVOICES_CREATED = metrics.counter("billing_invoices_created_total",
                                   "Invoices the billing run created")
INVOICES_ISSUED = metrics.counter("billing_invoices_issued_total",
                                  "Invoices the billing run issued")
RUN_ERRORS = metrics.counter("billing_run_errors_total",
                             "Subscriptions the billing run could not bill (see the run's errors)")
EMAILS_QUEUED = metrics.counter("billing_emails_queued_total",
                                "Billing emails queued in bulk (run invoices, dunning warnings)",
                                ["email"])
DUNNING_ACTIONS = metrics.counter("billing_dunning_actions_total",
                                  "Dunning actions taken, by stage (suspension: subscriptions)",
                                  ["stage"])
DUNNING_CHUNK_FAILURES = metrics.counter("billing_dunning_chunk_failures_total",
                                         "Dunning chunks rolled back on an error")
# the keys of dunning's counts, as stage label values
DUNNING_STAGES = {"reminders": "reminder", "final_notices": "final_notice",
                  "late_fees": "late_fee", "suspended": "suspension"}


def count_dunning(counts: dict[str, int]) -> None:
    for key, value in counts.items():
        if value:
            DUNNING_ACTIONS.labels(DUNNING_STAGES.get(key, key)).inc(value)
