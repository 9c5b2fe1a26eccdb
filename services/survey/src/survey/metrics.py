"""The survey's Prometheus metrics (its own registry). Labels are bounded by the catalog: the
agencies, the nine elements, the scores 1..4. No label names a ticket, counter or officer."""

from antre_contracts import Catalog
from antre_contracts.survey import ELEMENT_CODES, AnswerChannel
from prometheus_client import CollectorRegistry, Counter, Gauge

RESULTS = ("accepted", "repeat", "unknown", "expired", "refused")


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.answers = Counter(
            "antre_survey_answers",
            "Answers per agency, element (U1..U9) and score (1..4); 25 × the mean score over"
            " all elements is the IKM (each element weighs 1/9)",
            ["agency", "element", "score"],
            registry=registry,
        )
        self.submissions = Counter(
            "antre_survey_submissions",
            "Survey submissions by channel (counter, phone) and result (accepted; repeat: the"
            " ticket had answered; unknown: never served here; expired; refused: the tablet had"
            " moved on)",
            ["channel", "result"],
            registry=registry,
        )
        self.eligible = Counter(
            "antre_survey_eligible",
            "Served tickets recorded as able to answer (the population), per agency",
            ["agency"],
            registry=registry,
        )
        self.events = Counter(
            "antre_survey_events",
            "Queue events read, by type and result (applied, ignored, dead_letter)",
            ["type", "result"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "antre_survey_outbox_backlog",
            "Answers recorded but not yet acknowledged by Kafka",
            registry=registry,
        )

    def prime(self, catalog: Catalog) -> None:
        """Every series at 0 from the start, so increase() sees the first answer and a sum by
        agency over the scores is never missing a term."""
        for agency in catalog.agencies:
            self.eligible.labels(agency.id)
            for element in ELEMENT_CODES:
                for score in ("1", "2", "3", "4"):
                    self.answers.labels(agency.id, element, score)
        for channel in AnswerChannel:
            for result in RESULTS:
                self.submissions.labels(channel.value, result)
