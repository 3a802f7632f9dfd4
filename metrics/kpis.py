"""Figures derived from counter totals: net followers, interactions, SLA compliance, first-response times.

They are computed from sums (never from events), so they work for any unit, subtree and range alike.
"""
from metrics.events import FIRST_RESPONSE_BUCKETS

DERIVED_INPUTS = {
    "followers_net": ("followers_gained", "followers_lost"),
    "interactions": ("messages_in", "messages_out", "followers_gained"),
    "sla_compliance": ("sla_met", "sla_missed"),
    "first_response_avg": ("first_response_seconds_sum", "first_response_count"),
    "first_response_median": tuple(name for _limit, name in FIRST_RESPONSE_BUCKETS),
}
DERIVED = tuple(DERIVED_INPUTS)


def derive(totals):
    """{derived name: value}; a ratio or time is None when there is nothing to compute it from."""
    get = totals.get
    met, missed = get("sla_met", 0), get("sla_missed", 0)
    count = get("first_response_count", 0)
    return {
        "followers_net": get("followers_gained", 0) - get("followers_lost", 0),
        "interactions": get("messages_in", 0) + get("messages_out", 0) + get("followers_gained", 0),
        "sla_compliance": (met / (met + missed)) if met + missed else None,
        "first_response_avg": (get("first_response_seconds_sum", 0) / count) if count else None,
        "first_response_median": median_from_buckets(totals),
    }


def median_from_buckets(totals):
    """Estimated median first-response time in seconds, interpolated inside the bucket holding the middle
    response; None without responses. In the open last bucket (over 72 h) the estimate is its lower bound."""
    counts = [(limit, totals.get(name, 0)) for limit, name in FIRST_RESPONSE_BUCKETS]
    total = sum(count for _limit, count in counts)
    if not total:
        return None
    middle, seen, lower = total / 2, 0, 0
    for limit, count in counts:
        if count and seen + count >= middle:
            if limit is None:
                return float(lower)
            return lower + (limit - lower) * (middle - seen) / count
        seen += count
        lower = limit if limit is not None else lower
    return float(lower)


def change(current, previous):
    """Relative change in percent, or None when the previous figure is zero or missing."""
    if current is None or previous in (None, 0):
        return None
    return (current - previous) * 100.0 / abs(previous)
