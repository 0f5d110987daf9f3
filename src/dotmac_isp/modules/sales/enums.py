"""Lead stages and their legal moves, lead sources, quote statuses and line kinds."""

from __future__ import annotations

from enum import StrEnum


class LeadStage(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    QUOTED = "quoted"
    WON = "won"
    LOST = "lost"


class LeadSource(StrEnum):
    WEB_FORM = "web_form"
    STAFF = "staff"
    IMPORT = "import"


S = LeadStage
# Moves a person makes by hand. A lead becomes quoted when a quote is sent to it and won when
# its accepted quote is converted; a lost lead may be taken up again (back to new).
STAGE_MOVES: dict[LeadStage, frozenset[LeadStage]] = {
    S.NEW: frozenset({S.CONTACTED, S.QUALIFIED, S.LOST}),
    S.CONTACTED: frozenset({S.QUALIFIED, S.LOST}),
    S.QUALIFIED: frozenset({S.CONTACTED, S.LOST}),
    S.QUOTED: frozenset({S.QUALIFIED, S.LOST}),
    S.WON: frozenset(),
    S.LOST: frozenset({S.NEW}),
}
OPEN_STAGES = frozenset({S.NEW, S.CONTACTED, S.QUALIFIED, S.QUOTED})
BOARD_STAGES = (S.NEW, S.CONTACTED, S.QUALIFIED, S.QUOTED, S.WON, S.LOST)


class ActivityKind(StrEnum):
    CREATED = "created"
    STAGE = "stage"
    NOTE = "note"
    QUOTE_SENT = "quote_sent"
    QUOTE_ACCEPTED = "quote_accepted"
    QUOTE_DECLINED = "quote_declined"
    CONVERTED = "converted"
    CONVERSION_FAILED = "conversion_failed"
    LOCATED = "located"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"


# A quote can still change while it is a draft or sent (a change takes it back to draft and
# the link sent before stops working); an answered quote is final.
EDITABLE = frozenset({QuoteStatus.DRAFT, QuoteStatus.SENT})


class LineKind(StrEnum):
    PLAN = "plan"  # monthly, for the contract term; becomes a pending subscription
    SETUP = "setup"  # the plan's own setup fee: billing charges it when the service starts
    INSTALLATION = "installation"
    EQUIPMENT = "equipment"
    OTHER = "other"


ONE_OFF_KINDS = frozenset({LineKind.INSTALLATION, LineKind.EQUIPMENT, LineKind.OTHER})
