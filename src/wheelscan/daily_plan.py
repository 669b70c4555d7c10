"""Today's plan (SPEC 10) from what is stored: no request of its own, so `plan --json` is fast.

`build_plan` (core.plan) weighs the ledger against the latest answers. Here each of
its inputs is read from what the last watchlist scan of the source in force
published (SPEC 5: kept until the next one, fresh or stale by `results_ttl_minutes`)
and from the config and the ledger:

- the open shorts' quotes: the held tickers' `short_quotes`, with their `next_earnings`;
- what they may roll to: the held tickers' `roll_quotes` (core.roll_quotes), which
  the scan asked for within its own requests;
- covered calls: as `wheelscan calls` finds them without a request
  (holdings.find_covered_calls): a held ticker's `covered_calls` entry when it was
  found for the holding as it stands now and for the configured call criteria
  (core.held_results), else the calls of the answers the store keeps (shares
  recorded since the scan, within `chain_cache_minutes`);
- new puts: every published put candidate;
- `cash`, the plan rules and the call criteria: config.toml.

What the published scan lacks (a short it did not quote, shares it found no calls
for) is a warning saying so, not a request: `wheelscan refresh` fills it in. Reading
the published results loads neither yfinance nor numpy; only a holding they have no
calls for loads the calls stack, to read its kept answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from wheelscan.core.held_results import published_calls_entry, published_quotes
from wheelscan.core.ledger import MULTIPLIER
from wheelscan.core.plan import Plan, build_plan
from wheelscan.core.plan_inputs import QuotedOption
from wheelscan.core.roll_quotes import published_roll_options
from wheelscan.core.scan_record import SCHEMA_VERSION

if TYPE_CHECKING:
    from wheelscan.config import Settings
    from wheelscan.core.positions import Position, Positions
    from wheelscan.core.short_marks import ShortQuote
    from wheelscan.store import PublishedResults, Store

_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError)


@dataclass
class PlanInputs:
    """Every `build_plan` input but the settings' own, as read from published results."""

    as_of: datetime
    short_quotes: dict[str, ShortQuote] = field(default_factory=dict)
    roll_options: list[QuotedOption] = field(default_factory=list)
    call_candidates: list[QuotedOption] = field(default_factory=list)
    put_candidates: list[QuotedOption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _candidates(symbol: str, rows: Any) -> list[QuotedOption]:
    """A published candidate list (puts, or a covered-calls entry's calls) as the plan
    weighs it; a row of another shape is left out."""
    options = []
    for row in rows if isinstance(rows, list) else ():
        try:
            options.append(QuotedOption.from_candidate(symbol, SimpleNamespace(**row)))
        except _SHAPE_ERRORS:
            continue
    return options


def _as_of(published: PublishedResults, now: datetime) -> datetime:
    """The published quotes' time (the scan's `as_of`), else `now`."""
    text = (published.scan or {}).get("as_of")
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else now
    except ValueError:
        return now


def plan_inputs(
    published: PublishedResults,
    positions: Positions,
    settings: Settings,
    now: datetime,
    call_entries: Mapping[str, Mapping[str, Any]],
) -> PlanInputs:
    """The plan's inputs from `published` results for `positions`, and `call_entries`
    (symbol → the calls document entry each holding's covered calls come from,
    `covered_call_entries`). Pure: reads nothing."""
    results = published.results
    inputs = PlanInputs(_as_of(published, now))
    for symbol, result in results.items():
        if isinstance(result, Mapping):
            inputs.put_candidates += [
                o for o in _candidates(symbol, result.get("candidates")) if o.kind == "put"
            ]
    for position in positions:
        symbol = position.symbol
        result = _result(published, symbol)
        if position.shorts:
            quotes = published_quotes(result)
            inputs.short_quotes.update(
                (s.contract, quotes[s.contract]) for s in position.shorts if s.contract in quotes
            )
            inputs.roll_options += published_roll_options(symbol, result)
            unquoted = [s.contract for s in position.shorts if s.contract not in quotes]
            if unquoted and published.scan is not None:
                inputs.warnings.append(
                    f"{symbol}: the latest scan has no quote for {', '.join(unquoted)}"
                    " (only the expiring rule can fire; `wheelscan refresh` quotes it)"
                )
        if position.uncovered_shares < MULTIPLIER:  # no call to sell (core.plan)
            continue
        entry = call_entries.get(symbol)
        if entry is None:
            if published.scan is not None:
                inputs.warnings.append(
                    f"{symbol}: {position.uncovered_shares} uncovered shares, but the latest"
                    " scan found no covered calls for this holding and these call criteria"
                    " (`wheelscan refresh` looks again)"
                )
            continue
        calls = _candidates(symbol, entry.get("candidates"))
        inputs.call_candidates += [o for o in calls if o.kind == "call"]
    if published.scan is None:
        inputs.warnings.append(
            f"no published results from {settings.source} yet: `wheelscan refresh` scans"
            " the watchlist and the ledger's symbols"
        )
    elif published.stale:
        hours = (published.age_s or 0) / 3600
        inputs.warnings.append(
            f"the results are stale ({hours:.1f} h old, results_ttl_minutes"
            f" {published.ttl_s / 60:g}): `wheelscan refresh` brings them up to date"
        )
    return inputs


def covered_call_entries(
    published: PublishedResults, positions: Positions, settings: Settings, store: Store | None
) -> dict[str, Mapping[str, Any]]:
    """Symbol → the calls document entry (`wheelscan calls`, no request) of each holding
    with ≥ 100 uncovered shares: its published `covered_calls` entry when that was found
    for the holding as it stands and these criteria, else, with `store`, its calls in the
    answers the store keeps (holdings.find_covered_calls); a holding with neither is left
    out. The calls stack is loaded only when some holding's calls are not published."""
    rate = settings.criteria.risk_free_rate_pct
    entries: dict[str, Mapping[str, Any]] = {}
    missing: dict[str, Position] = {}
    for position in positions:
        if position.uncovered_shares < MULTIPLIER:
            continue
        result = _result(published, position.symbol)
        entry = published_calls_entry(result, position, settings.calls, rate)
        if entry is None:
            missing[position.symbol] = position
        else:
            entries[position.symbol] = entry
    if missing and store is not None:
        from wheelscan.core.positions import Positions as Held
        from wheelscan.holdings import find_covered_calls

        report = find_covered_calls(Held(missing), settings, settings.calls, store, None)
        entries.update((symbol, calls.to_json()) for symbol, calls in report.results.items())
    return entries


def _result(published: PublishedResults, symbol: str) -> Mapping[str, Any]:
    result = published.results.get(symbol)
    return result if isinstance(result, Mapping) else {}


def plan_from(
    published: PublishedResults,
    positions: Positions,
    settings: Settings,
    now: datetime,
    store: Store | None = None,
) -> tuple[Plan, PlanInputs]:
    """`build_plan` on `plan_inputs`, with the settings' cash, rules and call criteria;
    with `store`, the covered calls of holdings the published results lack come from its
    kept answers (`covered_call_entries`)."""
    entries = covered_call_entries(published, positions, settings, store)
    inputs = plan_inputs(published, positions, settings, now, entries)
    plan = build_plan(
        positions,
        as_of=inputs.as_of,
        short_quotes=inputs.short_quotes,
        roll_options=inputs.roll_options,
        call_candidates=inputs.call_candidates,
        put_candidates=inputs.put_candidates,
        cash=settings.cash,
        rules=settings.plan,
        call_criteria=settings.calls,
    )
    return plan, inputs


def plan_document(
    plan: Plan, inputs: PlanInputs, published: PublishedResults, settings: Settings
) -> dict[str, Any]:
    """The `plan --json` document (schema 2): what it was built from, then the plan."""
    scan = published.scan or {}
    built = plan.to_json()
    return {
        "schema": SCHEMA_VERSION,
        "source": settings.source,
        "source_namespace": published.namespace,
        "results": {
            "scan_id": scan.get("id"),
            "published_at": (
                None if published.published_at is None else published.published_at.isoformat()
            ),
            "age_s": None if published.age_s is None else round(published.age_s, 1),
            "stale": published.stale,
            "ttl_minutes": published.ttl_s / 60,
        },
        **{key: value for key, value in built.items() if key != "schema"},
        "warnings": [*inputs.warnings, *([published.warning] if published.warning else [])],
    }


def stored_plan(source: str | None = None) -> tuple[Plan, dict[str, Any]]:
    """Today's plan from the store of `source` (default: the source in force), the ledger
    and config.toml, and its JSON document. Raises InputError for a bad config, source
    or ledger."""
    from wheelscan.config import effective_settings
    from wheelscan.positions import load_ledger
    from wheelscan.store import Store

    settings = effective_settings(source=source)
    positions = load_ledger().state
    store = Store.for_source(settings.source)
    try:
        published = store.read_results(settings.results_ttl_minutes)
        plan, inputs = plan_from(published, positions, settings, datetime.now(UTC), store)
    finally:
        store.close()
    return plan, plan_document(plan, inputs, published, settings)
