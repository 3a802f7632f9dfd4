"""What a re-organisation of the tree tells the packages whose rows hang on units.

The tree knows no posts, tips or numbers: re-organising it (`hierarchy.reorg`: move, merge, abolish a tier, and
bulk operations such as the 2025 reform) changes units and paths, then says what happened. Each package moves,
hands over or recomputes its own rows in its receivers (`<package>/receivers.py`), in the same transaction.

Every signal is sent with the app as sender, inside the tenant scope of the tree being changed, after the tree's
own rows are flushed; receivers flush, never commit. A refusal is an `AppError` raised before anything changed.

Bulk operations: `unit_merged` and `unit_abolished` carry any number of pairs, and nothing expensive happens per
pair; what is derived from the whole tree (metrics' counters) is rebuilt once, on `units_moved`, which every
operation sends once, last. So a reform that merges hundreds of communes sends its merges (in one signal or in
many) and then `units_moved` once.
"""
from sqlalchemy import case, update

from core.extensions import db
from core.signals import OrderedSignal

unit_merging = OrderedSignal("unit-merging")
"""`pairs`: [(source, target)] units about to be merged (nothing has changed yet). Sent by
`hierarchy.reorg.check_merge`, also when the page asks before its confirmation. A receiver refuses by raising
`core.errors.Conflict` or `Invalid` naming the field (zalo: both units have an Official Account)."""

unit_merged = OrderedSignal("unit-merged")
"""`pairs`: [(source, target)] units; each source has been folded into its target of the same tenant (its
children are under the target, it is inactive and remembers the target in `merged_into_id`). Sent by
`hierarchy.reorg.merge_units` (one pair) and by bulk operations (many). Receivers make what follows a merged unit
point at its target (`follow()` does it in one UPDATE): content its posts and media, inbox its tips and canned
replies, metrics its events, tenants its staff's memberships, zalo its Official Account. Facts about the past
(a tip's history and escalations, the unit that first received it, audit records) keep naming the source."""

unit_abolished = OrderedSignal("unit-abolished")
"""`pairs`: [(unit, successor)]: each unit stops working but stays, inactive, with its history, and what is still
open at it goes to its successor; `user`: who did it (None from the CLI); `reason`: the operation, for the
history entries ("Bỏ cấp huyện"). Sent by `hierarchy.reorg.abolish_tier`. A receiver returns a dict of counts for
the operation's summary and audit record: inbox forwards the open tips (`{"tips_forwarded": n}`)."""

units_moved = OrderedSignal("units-moved")
"""`tenant_id`; `unit_ids`: the units whose place in the tree or whose history changed (the unit moved, the merge
targets, the HQ that took an abolished tier's units). Sent once at the end of every re-organisation, after
`unit_merged`/`unit_abolished` receivers ran and everything is flushed. Receivers recompute what they derive
from the tree's paths, once per operation: metrics rebuilds its counters."""

count_contents = OrderedSignal("count-contents")
"""`where`: a SQL condition on `Unit` choosing units (a subtree, or a list of ids). A receiver returns a dict of
counts of its rows at those units: inbox `{"tips", "open_tips"}`, content `{"posts"}`, tenants `{"staff"}`
(distinct people). A key starting with `open_` counts work still in progress, which an abolition hands over.
Sent for the re-organisation pages' confirmations and audit records (`hierarchy.reorg.subtree_contents`)."""


# --- the 2025 reform: a pre-reform tenant carried into its new province's tenant (`tenants.reform`) -----------
# Rows change tenant generically (`core.carry`): what a package must do itself around that is said here.

tenant_carry_check = OrderedSignal("tenant-carry-check")
"""`old_tenant_id`, `new_tenant_id` (None while the new tenant does not exist yet), `continuing`: [(old unit,
new unit)] the units that continue as the new tenant's (same code). Sent in the platform scope by `reform plan`
and before `reform apply` changes anything. A receiver returns a dict: `refusals` (reasons the reform cannot
be carried exactly), `notes` (what the operator should know) and `handles` (tables whose cross-tenant
uniqueness it settles in `tenant_carrying`, so the generic collision check leaves them out)."""

tenant_carrying = OrderedSignal("tenant-carrying")
"""`old_tenant_id`, `new_tenant_id`: sent in the platform scope just before the old tenant's rows become the new
tenant's. Receivers make room in the tables they `handles`d (metrics drops the old counters, which are rebuilt
on `units_moved`; the inbox re-draws pseudonym numbers both tenants use)."""

def follow(model, pairs, column="unit_id"):
    """For a `unit_merged` receiver: `model`'s rows at each source now belong to its target, in one UPDATE."""
    targets = {source.id: target.id for source, target in pairs}
    attribute = getattr(model, column)
    db.session.execute(update(model).where(attribute.in_(targets)).values({column: case(targets, value=attribute)})
                       .execution_options(synchronize_session="fetch"))


def gather(results):
    """One dict of lists from the dicts of lists receivers returned (`tenant_carry_check`)."""
    gathered = {}
    for _receiver, value in results:
        for key, items in (value or {}).items():
            gathered.setdefault(key, []).extend(items)
    return gathered


def collect(results):
    """One dict of the counts the receivers of a signal returned (`Signal.send` gives (receiver, value) pairs)."""
    counts = {}
    for _receiver, value in results:
        for key, number in (value or {}).items():
            counts[key] = counts.get(key, 0) + number
    return counts
