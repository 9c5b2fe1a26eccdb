"""The survey's event: one answer to the satisfaction survey (SKM, PermenPAN-RB 14/2017).

Published by the survey service on its own topic (`SURVEY_ANSWERS`, unlimited retention): the
raw answers are the audit record from which any IKM can be computed again. No phone number
or name is in it, nor the officer who served: only the ticket, its service and the answers.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

SURVEY_ANSWERS = "antre.survey.answers"
"""Every answer, keyed by `<site>:<agency>`; retention unlimited (the audit record)."""

SURVEY_SUBMITTED = "antre.survey.submitted"
"""The CloudEvent type of one answer."""

ELEMENT_CODES = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
"""The nine elements (unsur) in the Permen's order; their texts: services/survey texts.py."""

Score = Annotated[int, Field(ge=1, le=4)]


class AnswerChannel(StrEnum):
    counter = "counter"
    """The tablet at the counter that served the ticket."""
    phone = "phone"
    """The visitor's own phone, through the ticket's link."""


Choice = Annotated[str | None, Field(default=None, max_length=32, pattern=r"^[a-z0-9-]+$")]


class Respondent(BaseModel):
    """The optional respondent data of the Permen's form; every field may be left out. The
    values are the slugs of the options in the survey's questionnaire (its texts.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gender: Choice = None
    education: Choice = None
    occupation: Choice = None


class SurveySubmitted(BaseModel):
    """One served ticket's answers, given once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_id: str = Field(description="Unique per answer (the CloudEvent's id too)")
    ticket_id: str = Field(description="The served ticket that answered (once per ticket)")
    site_id: str
    agency_id: str
    service_id: str
    served_on: date = Field(description="The site's local day the ticket was served")
    channel: AnswerChannel
    submitted_at: datetime
    scores: dict[str, Score] = Field(
        description="Score 1..4 for each of the nine elements U1..U9", examples=[{"U1": 4}]
    )
    respondent: Respondent = Respondent()
    suggestion: str | None = Field(default=None, max_length=1000)
