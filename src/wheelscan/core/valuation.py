"""Intrinsic value (SPEC 4): wheel_analyzer's discounted-cash-flow model, and the badges.

A stock's value is what the trader typed (`manual`, always wins) or a DCF of one
per-share figure E: the quote's trailing EPS (`dcf_eps`, the default) or the trailing
free cash flow per share (`dcf_fcf`). Badges compare each strike with that value.
Pure: the quote and the cash flow arrive as plain data, nothing is fetched here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from wheelscan.core.criterion import Range
from wheelscan.core.errors import InputError

GOOD = "good"
HIGH = "high"
UNKNOWN = "n/a"

EPS = "eps"
FCF = "fcf"
METHODS = (EPS, FCF)

SOURCE_MANUAL = "manual"
SOURCE_DCF_EPS = "dcf_eps"
SOURCE_DCF_FCF = "dcf_fcf"
SOURCE_BY_METHOD = {EPS: SOURCE_DCF_EPS, FCF: SOURCE_DCF_FCF}

EQUITY = "EQUITY"


def badge_for(strike: float, intrinsic_value: float | None) -> str:
    """`good` when K ≤ intrinsic value, `high` when above, `n/a` without a value."""
    if intrinsic_value is None:
        return UNKNOWN
    return GOOD if strike <= intrinsic_value else HIGH


def discount_pct(price: float, intrinsic_value: float | None) -> float | None:
    """(value − price) / value × 100: how far below its value the stock trades."""
    if intrinsic_value is None or intrinsic_value <= 0:
        return None
    return (intrinsic_value - price) / intrinsic_value * 100.0


def price_vs_value(price: float, intrinsic_value: float | None) -> str | None:
    """ "12 % below value", "8 % above value" or "at value" (whole percent of the value)."""
    pct = discount_pct(price, intrinsic_value)
    if pct is None or not math.isfinite(pct):
        return None
    shown = f"{abs(pct):.0f}"
    if shown == "0":
        return "at value"
    return f"{shown} % {'below' if pct > 0 else 'above'} value"


def pe_at(price: float, eps: float | None) -> float | None:
    """Price over trailing EPS (e.g. at a put's strike); None when EPS is missing or ≤ 0."""
    if eps is None or not math.isfinite(eps) or eps <= 0:
        return None
    return price / eps


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(default: float, label: str, help_text: str, valid: Range) -> Any:
    """A numeric parameter, described as `Criteria`'s fields are (label, help, range)."""
    return field(default=default, metadata={"label": label, "help": help_text, "range": valid})


@dataclass(frozen=True)
class DcfParams:
    """The DCF model's parameters; the defaults are SPEC 4's, defined here only.

    The numeric fields carry `label`, `help` and `range` metadata like `Criteria`'s (so
    `Criterion.of(field)` reads them); `method` carries `label`, `help` and `choices`.
    The config keys and the watchlist overrides are meant to be built from them.
    """

    growth_pct: float = _numeric(
        10.0, "DCF growth", "DCF yearly growth of E, %", Range(-100, 100, low_open=True)
    )
    discount_pct: float = _numeric(
        15.0, "DCF discount rate", "DCF discount rate (the return wanted), %", Range(0, 100)
    )
    terminal_multiple: float = _numeric(
        20.0, "DCF terminal multiple", "DCF terminal value as a multiple of E", Range(0)
    )
    years: int = _numeric(
        5, "DCF years", "DCF years of growth before the terminal value", Range(1, 50)
    )
    method: str = field(
        default=EPS,
        metadata={
            "label": "valuation method",
            "help": "E for the DCF: eps or fcf",
            "choices": METHODS,
        },
    )

    def __post_init__(self) -> None:
        for name, spec in _PARAM_FIELDS.items():
            problem = dcf_param_problem(name, getattr(self, name))
            if problem:
                raise InputError(f"{spec.metadata['label']} {problem}")


_PARAM_FIELDS = {f.name: f for f in fields(DcfParams)}
DCF_PARAM_NAMES = tuple(_PARAM_FIELDS)
DCF_KEYS = {name: "valuation" if name == "method" else f"dcf_{name}" for name in DCF_PARAM_NAMES}
"""DcfParams field -> its name as a config key and as a per-symbol watchlist override."""


def dcf_param_problem(name: str, value: Any) -> str | None:
    """None when `value` suits the DcfParams field `name`, else what is wrong with it."""
    spec = _PARAM_FIELDS[name]
    if "choices" in spec.metadata:
        choices = spec.metadata["choices"]
        return None if value in choices else f"must be one of {', '.join(choices)}, got {value!r}"
    whole = spec.type == "int"
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        return f"must be {'a whole number' if whole else 'a number'}, got {value!r}"
    return spec.metadata["range"].problem(value)


def dcf_value(per_share: float, params: DcfParams) -> float:
    """Σ_{t=1..N} E(1+g)^t/(1+d)^t + E(1+g)^N·M/(1+d)^N, E the per-share figure."""
    growth = 1 + params.growth_pct / 100
    discount = 1 + params.discount_pct / 100
    grown, discounting, total = per_share, 1.0, 0.0
    for _ in range(params.years):
        grown *= growth
        discounting *= discount
        total += grown / discounting
    return total + grown * params.terminal_multiple / discounting


@dataclass(frozen=True)
class TrailingCashFlow:
    """Trailing-twelve-months cash-flow figures (whole currency units), as Yahoo reports them."""

    free_cash_flow: float | None = None
    operating_cash_flow: float | None = None
    capital_expenditure: float | None = None  # an outflow: Yahoo reports it negative
    as_of: str | None = None  # ISO date the twelve months end on

    @property
    def empty(self) -> bool:
        """No figure at all: what a symbol without statements (or a failed request) gives."""
        return (
            self.free_cash_flow is None
            and self.operating_cash_flow is None
            and self.capital_expenditure is None
        )

    def free(self) -> float | None:
        """FreeCashFlow, else OperatingCashFlow − |CapitalExpenditure|, else None."""
        if self.free_cash_flow is not None:
            return self.free_cash_flow
        if self.operating_cash_flow is None or self.capital_expenditure is None:
            return None
        return self.operating_cash_flow - abs(self.capital_expenditure)


def _finite(value: Any) -> float | None:
    if not _is_number(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def fcf_per_share(cash_flow: TrailingCashFlow | None, shares_outstanding: Any) -> float | None:
    """Trailing free cash flow ÷ shares outstanding; None when either is missing."""
    shares = _finite(shares_outstanding)
    free = cash_flow.free() if cash_flow is not None else None
    if free is None or shares is None or shares <= 0:
        return None
    return free / shares


@dataclass(frozen=True)
class IntrinsicValue:
    """A symbol's value, where it came from, and what it was computed from.

    `source` is `manual`, `dcf_eps`, `dcf_fcf` or None (no value: `reason` says why).
    `method` is the DCF method configured for the symbol, whatever the source.
    `inputs` holds E under its own name (`eps` or `fcf_per_share`), the figures it
    came from and the model's parameters; it is empty for a manual value.
    """

    value: float | None
    source: str | None
    method: str
    inputs: dict[str, float | int | str] = field(default_factory=dict)
    reason: str | None = None


def _not_available(params: DcfParams, reason: str, inputs: dict[str, Any]) -> IntrinsicValue:
    return IntrinsicValue(None, None, params.method, inputs, reason)


def _eps_inputs(quote: Mapping[str, Any]) -> tuple[float | None, dict[str, Any], str | None]:
    """(E, inputs, reason when E is missing) for the EPS method."""
    eps = _finite(quote.get("epsTrailingTwelveMonths"))
    if eps is None:
        return None, {}, "no EPS in the quote"
    return eps, {"eps": eps}, None


def _fcf_inputs(
    quote: Mapping[str, Any], cash_flow: TrailingCashFlow | None
) -> tuple[float | None, dict[str, Any], str | None]:
    """(E, inputs, reason when E is missing) for the FCF method."""
    if cash_flow is None:
        return None, {}, "no cash-flow data"
    free = cash_flow.free()
    if free is None:
        return None, {}, "no free cash flow in the cash-flow data"
    inputs: dict[str, Any] = {"free_cash_flow": free}
    if cash_flow.as_of:
        inputs["cash_flow_as_of"] = cash_flow.as_of
    shares = _finite(quote.get("sharesOutstanding"))
    if shares is None or shares <= 0:
        return None, inputs, "no sharesOutstanding in the quote"
    inputs["shares_outstanding"] = shares
    reported_in, priced_in = quote.get("financialCurrency"), quote.get("currency")
    if reported_in and priced_in and reported_in != priced_in:
        return None, inputs, f"cash flow in {reported_in}, price in {priced_in}"
    per_share = fcf_per_share(cash_flow, shares)
    inputs["fcf_per_share"] = per_share
    return per_share, inputs, None


def intrinsic_value_for(
    quote: Mapping[str, Any] | None,
    params: DcfParams | None = None,
    *,
    manual: float | None = None,
    cash_flow: TrailingCashFlow | None = None,
) -> IntrinsicValue:
    """The value SPEC 4 gives a symbol: manual, else the DCF of E, else n/a with a reason.

    `quote` is Yahoo's quote block (no key is guaranteed); `cash_flow` is only read by
    the FCF method. Only EQUITY quotes are valued by the model: an ETF's or an index's
    "earnings" are not a company's.
    """
    params = params or DcfParams()
    if manual is not None:
        if not _is_number(manual) or not math.isfinite(manual) or manual <= 0:
            raise InputError(f"intrinsic value must be a positive number, got {manual!r}")
        return IntrinsicValue(float(manual), SOURCE_MANUAL, params.method)
    if not quote:
        return _not_available(params, "no quote", {})
    quote_type = quote.get("quoteType")
    if quote_type != EQUITY:
        return _not_available(params, f"not an equity ({quote_type or 'no quoteType'})", {})
    if params.method == EPS:
        per_share, inputs, reason = _eps_inputs(quote)
    else:
        per_share, inputs, reason = _fcf_inputs(quote, cash_flow)
    inputs.update({name: getattr(params, name) for name in DCF_PARAM_NAMES if name != "method"})
    if per_share is None:
        return _not_available(params, reason or "no per-share figure", inputs)
    if per_share <= 0:
        return _not_available(params, "E <= 0", inputs)
    return IntrinsicValue(
        dcf_value(per_share, params), SOURCE_BY_METHOD[params.method], params.method, inputs
    )


QUOTE_FIELDS = (
    "quoteType",
    "epsTrailingTwelveMonths",
    "sharesOutstanding",
    "currency",
    "financialCurrency",
)
"""The quote's fields `intrinsic_value_for` reads (besides the price), kept with a result
so the value can be computed again from it."""


def trailing_eps(quote: Mapping[str, Any] | None) -> float | None:
    """An EQUITY quote's trailing EPS (for P/E at a strike); None otherwise or when absent."""
    if not quote or quote.get("quoteType") != EQUITY:
        return None
    return _finite(quote.get("epsTrailingTwelveMonths"))


def valuation_record(value: IntrinsicValue, quote: Mapping[str, Any] | None) -> dict[str, Any]:
    """A result's `valuation` object: the method, E and the parameters, the reason for n/a,
    and the quote's QUOTE_FIELDS it was computed from."""
    return {
        "method": value.method,
        "inputs": dict(value.inputs),
        "reason": value.reason,
        "quote": {name: (quote or {}).get(name) for name in QUOTE_FIELDS},
    }


@dataclass(frozen=True)
class ValuationPlan:
    """How each symbol is valued: the config's DCF parameters (`defaults`), the watchlist's
    manual values ({symbol: value}) and per-symbol overrides ({symbol: {field: value}})."""

    defaults: DcfParams = field(default_factory=DcfParams)
    manual: Mapping[str, float] = field(default_factory=dict)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def params_for(self, symbol: str) -> DcfParams:
        overrides = self.overrides.get(symbol)
        return replace(self.defaults, **overrides) if overrides else self.defaults

    def needs_cash_flow(self, symbol: str, quote: Mapping[str, Any] | None) -> bool:
        """Whether valuing `symbol` reads its cash flow: FCF method, no manual value, and
        an EQUITY quote (nothing is fetched for a value that cannot use it)."""
        return (
            self.manual.get(symbol) is None
            and self.params_for(symbol).method == FCF
            and quote is not None
            and quote.get("quoteType") == EQUITY
        )

    def value(
        self,
        symbol: str,
        quote: Mapping[str, Any] | None,
        cash_flow: TrailingCashFlow | None = None,
    ) -> IntrinsicValue:
        return intrinsic_value_for(
            quote, self.params_for(symbol), manual=self.manual.get(symbol), cash_flow=cash_flow
        )

    def unavailable(self, symbol: str, reason: str) -> IntrinsicValue:
        """n/a for `symbol`, for a reason outside the model (its cash flow could not be had)."""
        return _not_available(self.params_for(symbol), reason, {})
