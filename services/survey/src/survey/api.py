"""The survey's HTTP API: may this ticket answer, the answers (phone and counter tablet), the
IKM report, and the service's health."""

import asyncio
import hashlib
import hmac
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
from antre_contracts.survey import (
    ELEMENT_CODES,
    SURVEY_SUBMITTED,
    AnswerChannel,
    Respondent,
    Score,
    SurveySubmitted,
)
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from survey import report
from survey.store import Open
from survey.texts import RESPONDENT
from survey.web import texts

router = APIRouter()
TicketId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
CounterId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")]
AuthHeader = Annotated[str | None, Header()]
PROBLEM = "application/problem+json"


class Problem(Exception):
    """An RFC 9457 problem: `code` names it (/problems/<code>), `detail` says what to do."""

    def __init__(self, status: int, code: str, title: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}

    def response(self, instance: str) -> JSONResponse:
        body = {"type": f"/problems/{self.code}", "title": self.title, "status": self.status,
                "detail": self.detail, "instance": instance}  # fmt: skip
        return JSONResponse(body, self.status, headers=self.headers, media_type=PROBLEM)


class Answer(BaseModel):
    """One visitor's answers: a score 1..4 for each of the nine elements, the rest optional."""

    model_config = ConfigDict(extra="forbid")

    scores: dict[str, Score] = Field(
        description="U1..U9, each 1 (worst) to 4 (best)",
        examples=[{c: 4 for c in ELEMENT_CODES}],
    )
    respondent: Respondent = Respondent()
    suggestion: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _all_nine(self) -> "Answer":
        if sorted(self.scores) != list(ELEMENT_CODES):
            raise ValueError("scores must hold exactly the elements U1..U9")
        for f in RESPONDENT:
            value = getattr(self.respondent, f.key)
            if value is not None and value not in {v for v, _ in f.options}:
                raise ValueError(f"respondent.{f.key}: not one of the questionnaire's options")
        if self.suggestion is not None:
            self.suggestion = self.suggestion.strip() or None
        return self


class TabletAnswer(Answer):
    token: str = Field(description="The token the tablet was given with the ticket it shows",
                       max_length=64)  # fmt: skip


class Answered(BaseModel):
    answer_id: str
    channel: AnswerChannel
    submitted_at: datetime
    repeat: bool = Field(default=False, description="The ticket had answered: this is the first")


# Health


@router.get("/healthz", tags=["ops"])
async def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"])
async def readyz(request: Request) -> JSONResponse:
    """Ready when Redis and Kafka answer and every background task works."""
    state = request.app.state
    checks: dict[str, bool] = {}
    try:
        checks["redis"] = bool(await asyncio.wait_for(state.redis.ping(), 1.0))
    except Exception:
        checks["redis"] = False
    try:
        checks["kafka"] = bool(await state.broker.ping(timeout=2.0))
    except Exception:
        checks["kafka"] = False
    down = state.tasks.down()
    if all(checks.values()) and not down:
        return JSONResponse({"status": "ready", **checks})
    missing = ", ".join([k for k, v in checks.items() if not v] + down)
    body = {"type": "/problems/not_ready", "title": "Survey not ready", "status": 503,
            "detail": f"Not reachable or not working: {missing}", **checks,
            "tasks_down": down}  # fmt: skip
    return JSONResponse(body, 503, media_type=PROBLEM)


@router.get("/metrics", tags=["ops"])
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/asyncapi.json", tags=["ops"])
async def asyncapi(request: Request) -> dict[str, Any]:
    """The AsyncAPI document: what the survey consumes and publishes."""
    doc: dict[str, Any] = request.app.state.asyncapi()
    return doc


# The questionnaire and answers


@router.get("/api/v1/questionnaire", tags=["survey"])
async def questionnaire() -> dict[str, Any]:
    """The nine elements with their questions and answer words, the optional respondent
    fields: what the pages show (PermenPAN-RB 14/2017)."""
    return texts.questionnaire()


@router.get("/api/v1/tickets/{ticket_id}/survey", tags=["survey"])
async def ticket_survey(ticket_id: TicketId, request: Request) -> dict[str, Any]:
    """May this ticket answer now? `open`, `answered` or `expired`; 404 if it was never
    served here (or so long ago that it is forgotten)."""
    rt = request.app.state
    ticket = await rt.store.ticket(ticket_id)
    if ticket is None:
        raise _unknown()
    return _state(rt, ticket)


@router.post("/api/v1/tickets/{ticket_id}/answers", tags=["survey"], status_code=201,
             response_model=Answered)  # fmt: skip
async def answer_by_phone(ticket_id: TicketId, answer: Answer, request: Request) -> Any:
    """The visitor answers from their phone, through the ticket's link. Once per ticket: a
    repeat is answered 200 with the first answer, and changes nothing."""
    rt = request.app.state
    ticket = await rt.store.ticket(ticket_id)
    if ticket is None:
        rt.metrics.submissions.labels("phone", "unknown").inc()
        raise _unknown()
    return await _submit(rt, ticket, answer, AnswerChannel.phone, "")


@router.get("/api/v1/counters/{counter_id}/survey", tags=["survey"])
async def tablet_survey(
    counter_id: CounterId, request: Request, authorization: AuthHeader = None
) -> dict[str, Any]:
    """What the counter's tablet shows: `waiting`, or `open` with the ticket's number, its
    service and the token to answer with (never the ticket's id)."""
    rt = request.app.state
    _tablet(rt, counter_id, authorization)
    shown = await rt.store.tablet(counter_id)
    if not shown:
        return {"state": "waiting", "counter_id": counter_id}
    service = rt.catalog.service_by_id.get(shown["service"])
    return {
        "state": "open",
        "counter_id": counter_id,
        "number": shown["number"],
        "service": service.name if service else shown["service"],
        "token": shown["token"],
    }


@router.post("/api/v1/counters/{counter_id}/answers", tags=["survey"], status_code=201,
             response_model=Answered)  # fmt: skip
async def answer_at_counter(
    counter_id: CounterId, answer: TabletAnswer, request: Request, authorization: AuthHeader = None
) -> Any:
    """The visitor answers on the counter's tablet, for the ticket it shows (by its token)."""
    rt = request.app.state
    _tablet(rt, counter_id, authorization)
    shown = await rt.store.tablet(counter_id)
    ticket = None
    if shown and hmac.compare_digest(shown.get("token", ""), answer.token):
        ticket = await rt.store.ticket(shown["ticket"])
    if ticket is None:
        rt.metrics.submissions.labels("counter", "refused").inc()
        raise Problem(409, "tablet_moved_on", "Survey no longer shown", texts.TABLET_MOVED_ON)
    return await _submit(rt, ticket, answer, AnswerChannel.counter, answer.token)


async def _submit(rt: Any, ticket: Open, answer: Answer, channel: AnswerChannel,
                  token: str) -> Response:  # fmt: skip
    for _ in range(3):  # "changed": served again between the read and the script; read again
        if ticket.answer is not None:
            return _repeat(rt, channel, ticket.answer)
        now = datetime.now(UTC)
        if ticket.until_ms <= now.timestamp() * 1000:
            break
        event = SurveySubmitted(
            answer_id=str(uuid.uuid4()),
            ticket_id=ticket.ticket_id,
            site_id=rt.site,
            agency_id=ticket.agency_id,
            service_id=ticket.service_id,
            served_on=date.fromisoformat(ticket.day),
            channel=channel,
            submitted_at=now,
            scores=answer.scores,
            respondent=answer.respondent,
            suggestion=answer.suggestion,
        )
        reply = Answered(answer_id=event.answer_id, channel=channel, submitted_at=now)
        done = await rt.store.submit(
            ticket,
            int(now.timestamp() * 1000),
            reply.model_dump_json().encode(),
            _envelope(rt.site, event),
            f"{rt.site}:{ticket.agency_id}",
            token,
            report.fields(event),
        )
        if done.verdict == "ok":
            rt.metrics.submissions.labels(channel.value, "accepted").inc()
            for code, score in event.scores.items():
                rt.metrics.answers.labels(event.agency_id, code, str(score)).inc()
            rt.wake_relay()
            return Response(done.reply, 201, media_type="application/json")
        if done.verdict == "answered":
            return _repeat(rt, channel, done.reply)
        if done.verdict == "tablet":
            rt.metrics.submissions.labels(channel.value, "refused").inc()
            raise Problem(409, "tablet_moved_on", "Survey no longer shown", texts.TABLET_MOVED_ON)
        if done.verdict == "unknown":
            rt.metrics.submissions.labels(channel.value, "unknown").inc()
            raise _unknown()
        if done.verdict == "expired":
            break
        fresh = await rt.store.ticket(ticket.ticket_id)
        if fresh is None:
            raise _unknown()
        ticket = fresh
    rt.metrics.submissions.labels(channel.value, "expired").inc()
    raise Problem(410, "survey_closed", "Survey closed", texts.CLOSED)


def _repeat(rt: Any, channel: AnswerChannel, first: bytes) -> Response:
    rt.metrics.submissions.labels(channel.value, "repeat").inc()
    body = orjson.loads(first)
    body["repeat"] = True
    return Response(orjson.dumps(body), 200, media_type="application/json")


def _envelope(site: str, event: SurveySubmitted) -> bytes:
    """The CloudEvent of an answer (structured JSON, as on the queue topic)."""
    return orjson.dumps(
        {
            "specversion": "1.0",
            "id": event.answer_id,
            "source": f"/antre/{site}/survey",
            "type": SURVEY_SUBMITTED,
            "time": event.submitted_at.isoformat(),
            "subject": event.ticket_id,
            "datacontenttype": "application/json",
            "partitionkey": f"{site}:{event.agency_id}",
            "data": event.model_dump(mode="json"),
        }
    )


def _state(rt: Any, ticket: Open) -> dict[str, Any]:
    service = rt.catalog.service_by_id.get(ticket.service_id)
    agency = rt.catalog.agency_by_id.get(ticket.agency_id)
    now_ms = datetime.now(UTC).timestamp() * 1000
    state = "answered" if ticket.answer else "open" if ticket.until_ms > now_ms else "expired"
    return {
        "state": state,
        "number": ticket.number,
        "service": service.name if service else ticket.service_id,
        "agency": agency.name if agency else ticket.agency_id,
        "open_until": datetime.fromtimestamp(ticket.until_ms / 1000, UTC).isoformat(),
    }


def _unknown() -> Problem:
    return Problem(404, "not_served", "Ticket cannot answer", texts.NOT_SERVED)


def _tablet(rt: Any, counter_id: str, authorization: str | None) -> None:
    """The request comes from the survey tablet of this counter (its device token)."""
    if counter_id not in rt.catalog.counter_by_id:
        raise Problem(404, "unknown_counter", "Unknown counter", texts.UNKNOWN_COUNTER)
    scheme, _, token = (authorization or "").partition(" ")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    tablet = rt.tablets.get(digest) if scheme.lower() == "bearer" else None
    if tablet is None or tablet.counter != counter_id:
        raise Problem(401, "tablet_token", "Tablet not recognised", texts.TABLET_TOKEN,
                      {"WWW-Authenticate": 'Bearer realm="antre-survey"'})  # fmt: skip


# Reports


@router.get("/api/v1/ikm", tags=["reports"])
async def ikm(
    request: Request,
    from_: Annotated[
        date | None, Query(alias="from", description="First day (default: the month's first)")
    ] = None,
    to: Annotated[date | None, Query(description="Last day (default: today)")] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    service: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """The IKM of PermenPAN-RB 14/2017 for a period, the whole site and per agency and
    service: NRR per element, the weighted sum, IKM = sum × 25, the quality letter, and the
    respondents against the minimum sample for the period's served tickets."""
    rt = request.app.state
    period = _period(rt, from_, to)
    return await report.build(rt.store, rt.catalog, period, agency, service)


@router.get("/api/v1/ikm.csv", tags=["reports"])
async def ikm_csv(
    request: Request,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    service: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The same, as the Permen's recapitulation (CSV, `;`-separated, decimal comma)."""
    rt = request.app.state
    period = _period(rt, from_, to)
    data = await report.build(rt.store, rt.catalog, period, agency, service)
    name = f"ikm-{rt.site}-{period[0]}-{period[1]}.csv"
    return Response(report.csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _period(rt: Any, first: date | None, last: date | None) -> tuple[date, date]:
    today = datetime.now(rt.catalog.site.tz).date()
    last = last or today
    first = first or last.replace(day=1)
    if first > last:
        raise Problem(400, "bad_period", "Bad period", texts.BAD_PERIOD)
    if last - first > timedelta(days=rt.settings.max_report_days):
        raise Problem(400, "period_too_long", "Period too long",
                      texts.PERIOD_TOO_LONG.format(days=rt.settings.max_report_days))  # fmt: skip
    return first, last
