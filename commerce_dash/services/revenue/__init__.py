"""Revenue: the books. The ledger and revenue shares, payouts, reports, exports, charts,
reconciliation and subscription metrics.
"""

from .ledger import (
    backfill,
    course_list_shares,
    course_shares,
    record_dispute_fee,
    record_order,
    record_refund,
    sale_of,
)
from .payouts import PayoutCounts, PayoutRow, hold_order, payout_status, release_order, sync_unsent
from .revenue_charts import figures
from .revenue_exports import GROUP_LABELS, export_name, to_csv, to_xlsx
from .revenue_reconciliation import (
    PROBLEM_LABELS,
    DayFigures,
    Problem,
    Reconciliation,
    reconciliation,
)
from .revenue_reports import (
    GROUPINGS,
    PRESETS,
    GroupBy,
    ReportRow,
    RevenueReport,
    SeriesPoint,
    completion_counts,
    period_for,
    person_name,
    report,
    visible_course,
)
from .share_rules import (
    ShareRuleRow,
    delete_share_rule,
    list_share_rules,
    set_share_rule,
    share_rule_options,
)
from .subscription_metrics import (
    CurrencyAmount,
    PlanRow,
    Rate,
    SubscriptionMetrics,
    subscription_figures,
)

__all__ = [
    "CurrencyAmount",
    "DayFigures",
    "GROUPINGS",
    "GROUP_LABELS",
    "GroupBy",
    "PRESETS",
    "PROBLEM_LABELS",
    "PayoutCounts",
    "PayoutRow",
    "PlanRow",
    "Problem",
    "Rate",
    "Reconciliation",
    "ReportRow",
    "RevenueReport",
    "SeriesPoint",
    "ShareRuleRow",
    "SubscriptionMetrics",
    "backfill",
    "completion_counts",
    "course_list_shares",
    "course_shares",
    "delete_share_rule",
    "export_name",
    "figures",
    "hold_order",
    "list_share_rules",
    "payout_status",
    "period_for",
    "person_name",
    "reconciliation",
    "record_dispute_fee",
    "record_order",
    "record_refund",
    "release_order",
    "report",
    "sale_of",
    "set_share_rule",
    "share_rule_options",
    "subscription_figures",
    "sync_unsent",
    "to_csv",
    "to_xlsx",
    "visible_course",
]
