# ruff: noqa: E501  (a table of panels and their queries reads better unwrapped, as texts.py)
"""Write the three Grafana dashboards (JSON) from this one readable description.

    uv run python deploy/grafana/build.py     # rewrites deploy/grafana/dashboards/*.json

Audiences: the MPP head (hall overview), agencies (service levels), ops staff (system health).
Titles are in Bahasa Indonesia; queries only use series the services export or the rules record.
"""

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "prometheus", "uid": "prometheus"}
AGENCY = 'and on (service) antre:service_level_seconds{agency=~"$agency"}'


def panel(
    title: str, *exprs: str | tuple[str, str], kind: str = "timeseries", unit: str = "short",
    w: int = 12, h: int = 8, desc: str = "",
) -> dict[str, Any]:  # fmt: skip
    """A panel; each expr is a query or (query, legend)."""
    targets: list[dict[str, Any]] = []
    for i, e in enumerate(exprs):
        expr, legend = (e, "") if isinstance(e, str) else e
        targets.append(
            {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": "ABCDEFGH"[i]}
        )
    p: dict[str, Any] = {
        "title": title, "type": kind, "datasource": DS, "description": desc, "targets": targets,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"]}, "legend": {"displayMode": "table", "placement": "right"}},
    }  # fmt: skip
    if kind == "table":
        for t in targets:
            t.update(format="table", instant=True)
    return p


def layout(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    x = y = row_h = 0
    for i, p in enumerate(panels):
        g = p["gridPos"]
        if x + g["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        g.update(x=x, y=y)
        x, row_h = x + g["w"], max(row_h, g["h"])
        p["id"] = i + 1
    return panels


def dashboard(uid: str, title: str, panels: list[dict[str, Any]], agency_var: bool = False,
              time_from: str = "now/d") -> dict[str, Any]:  # fmt: skip
    variables = []
    if agency_var:
        variables.append({
            "name": "agency", "label": "Instansi", "type": "query", "datasource": DS,
            "query": {"query": "label_values(antre:service_level_seconds, agency)", "refId": "V"},
            "includeAll": True, "multi": True, "current": {"text": "All", "value": "$__all"},
            "refresh": 2,
        })  # fmt: skip
    return {
        "uid": uid, "title": title, "tags": ["antre"], "timezone": "browser", "schemaVersion": 39,
        "refresh": "10s", "time": {"from": time_from, "to": "now"}, "editable": False,
        "templating": {"list": variables}, "panels": layout(panels),
    }  # fmt: skip


HALL = dashboard("antre-hall", "Antre — Ringkasan Aula (Kepala MPP)", [
    panel("Tiket hari ini", "sum(increase(antre_tickets_issued_total[$__range]))", kind="stat", w=4, h=5),
    panel("Menunggu sekarang", "sum(antre_queue_length)", kind="stat", w=4, h=5),
    panel("Selesai dilayani", 'sum(increase(antre_tickets_completed_total{outcome="served"}[$__range]))', kind="stat", w=4, h=5),
    panel("Tidak hadir", 'sum(increase(antre_tickets_completed_total{outcome="no_show"}[$__range]))', kind="stat", w=4, h=5),
    panel("Waktu tunggu p90 (30 menit)", "histogram_quantile(0.9, sum by (le) (rate(antre_waiting_time_seconds_bucket[30m])))", kind="stat", unit="s", w=4, h=5),
    panel("Peringatan aktif", 'count(ALERTS{alertstate="firing"}) or vector(0)', kind="stat", w=4, h=5),
    panel("Antrean per layanan", ("sort_desc(antre_queue_length)", "{{service}}"), kind="bargauge", w=12, h=10,
          desc="Orang yang menunggu sekarang, per layanan"),
    panel("Loket buka per layanan", ("antre_open_counters", "{{service}}"), kind="bargauge", w=12, h=10),
    panel("Loket buka tanpa pengunjung, padahal ada yang menunggu",
          ("max by (counter) (antre_loket_queue_length) > 0 and on (counter) max by (counter) (antre_loket_open) == 1"
           " and on (counter) max by (counter) (antre_loket_serving) == 0", "{{counter}}"),
          kind="bargauge", w=12, desc="Orang yang menunggu layanan loket ini; loketnya buka tetapi tidak memanggil"),
    panel("Status loket", ("max by (counter) (antre_loket_open + antre_loket_serving)", "{{counter}}"),
          kind="bargauge", w=12, desc="0 tutup atau istirahat, 1 buka dan kosong, 2 sedang melayani"),
    panel("Kedatangan per jam", ("sum(rate(antre_tickets_issued_total[$__rate_interval])) * 3600", "tiket/jam"), w=12),
    panel("Waktu tunggu p90 per layanan vs standar", ("antre:waiting_time_seconds:p90_30m", "p90 {{service}}"),
          ("antre:service_level_seconds", "standar {{service}}"), unit="s", w=12),
    panel("Tiket per instansi hari ini", ("sort_desc(sum by (agency) (increase(antre_tickets_issued_total[$__range])))", "{{agency}}"), kind="bargauge", w=12),
    panel("Tiket prioritas hari ini", ("sum by (priority) (increase(antre_tickets_issued_total[$__range]))", "{{priority}}"), kind="piechart", w=6),
    panel("Kanal", ("sum by (channel) (increase(antre_tickets_issued_total[$__range]))", "{{channel}}"), kind="piechart", w=6),
    panel("Kinerja petugas hari ini", ('sum by (officer, what) (round(increase(antre_officer_tickets_total[$__range])))', "{{officer}} {{what}}"),
          kind="table", w=16, h=10,
          desc="Per petugas: dilayani (served), tidak hadir (no_show), dialihkan (transferred), diparkir (parked), dipanggil (called), dipanggil kembali (called_back), panggilan di luar urutan (out_of_order). Rata-rata dan p90 waktu layanan per petugas: halaman koordinator /koordinator"),
    panel("Panggilan pilihan dan parkir hari ini", ('sum by (how, out_of_order) (round(increase(antre_chosen_calls_total[$__range])))', "{{how}} di luar urutan={{out_of_order}}"),
          ('sum by (reason) (round(increase(antre_parked_total[$__range])))', "parkir: {{reason}}"), kind="bargauge", w=8, h=10),
])  # fmt: skip

LEVELS = dashboard("antre-service-levels", "Antre — Standar Layanan per Instansi", [
    panel("Waktu tunggu p90 (30 menit) dan standar layanan",
          (f"antre:waiting_time_seconds:p90_30m {AGENCY}", "p90 {{service}}"),
          ('antre:service_level_seconds{agency=~"$agency"}', "standar {{service}}"), unit="s", w=24, h=9),
    panel("Waktu tunggu p50 per layanan",
          (f"histogram_quantile(0.5, sum by (service, le) (rate(antre_waiting_time_seconds_bucket[30m]))) {AGENCY}", "{{service}}"), unit="s"),
    panel("Lama layanan p50 per layanan",
          (f"histogram_quantile(0.5, sum by (service, le) (rate(antre_service_time_seconds_bucket[30m]))) {AGENCY}", "{{service}}"), unit="s"),
    panel("Tiket diterbitkan hari ini",
          ('sort_desc(sum by (service) (increase(antre_tickets_issued_total{agency=~"$agency"}[$__range])))', "{{service}}"), kind="bargauge"),
    panel("Antrean sekarang", (f"antre_queue_length {AGENCY}", "{{service}}"), kind="bargauge"),
    panel("Rasio tidak hadir hari ini",
          (f'(sum by (service) (increase(antre_tickets_completed_total{{outcome="no_show"}}[$__range])) / sum by (service) (increase(antre_tickets_completed_total[$__range]))) {AGENCY}', "{{service}}"),
          kind="bargauge", unit="percentunit"),
    panel("Panggilan ulang dan pengalihan hari ini",
          (f"sum by (service) (increase(antre_recalls_total[$__range])) {AGENCY}", "panggil ulang {{service}}"),
          (f"sum by (service) (increase(antre_transfers_total[$__range])) {AGENCY}", "dialihkan dari {{service}}"), kind="bargauge"),
    panel("IKM 30 hari terakhir per instansi (survei kepuasan, PermenPAN-RB 14/2017)",
          ("25 * (" + " + ".join(
              f'{k} * sum by (agency) (increase(antre_survey_answers_total{{score="{k}",agency=~"$agency"}}[30d]))'
              for k in (1, 2, 3, 4)) + ') / sum by (agency) (increase(antre_survey_answers_total{agency=~"$agency"}[30d]))',
           "{{agency}}"),
          kind="bargauge", w=24,
          desc="25 × nilai rata-rata semua unsur (bobot tiap unsur 1/9) dari jawaban 30 hari terakhir."
               " A ≥ 88,31; B ≥ 76,61; C ≥ 65,00. Angka resmi dan jumlah responden: halaman /ikm layanan survei."),
], agency_var=True)  # fmt: skip

HEALTH = dashboard("antre-system-health", "Antre — Kesehatan Sistem", [
    panel("Target aktif", ('up{job=~"ticketing|display|notifier|survey"}', "{{job}}"), kind="stat", w=8, h=5),
    panel("Peringatan aktif", ('ALERTS{alertstate="firing"}', "{{alertname}} {{service}}{{job}}"), kind="table", w=16, h=5),
    panel("Consumer lag (pesan)", ("antre:consumer_lag_messages:sum", "{{group}}")),
    panel("Outbox", ("antre_outbox_backlog", "ticketing → Kafka"), ("notifier_outbox_backlog", "SMS notifier")),
    panel("Antrean terakhir dibaca dari Redis", ("time() - antre_queue_state_read_timestamp_seconds", "{{instance}}"),
          unit="s", desc="Lebih dari beberapa detik: ticketing tidak dapat membaca Redis, angka antrean membeku"),
    panel("Latensi penanganan event p99",
          ("histogram_quantile(0.99, sum by (le) (rate(notifier_event_latency_seconds_bucket[$__rate_interval])))", "notifier: event → Redis"),
          ("histogram_quantile(0.99, sum by (le) (rate(display_call_to_push_seconds_bucket[$__rate_interval])))", "display: panggilan → papan"),
          ("histogram_quantile(0.99, sum by (app_name, le) (rate(faststream_received_processed_messages_duration_seconds_bucket[$__rate_interval])))", "{{app_name}} handler"),
          unit="s"),
    panel("Event Kafka per detik",
          ('sum by (app_name) (rate(faststream_published_messages_total{status="success"}[$__rate_interval]))', "{{app_name}} terbit"),
          ("sum by (app_name) (rate(faststream_received_messages_total[$__rate_interval]))", "{{app_name}} terima")),
    panel("SMS per jenis dan hasil",
          ("sum by (kind, outcome) (rate(notifier_sms_total[$__rate_interval])) * 60", "{{outcome}} {{kind}}"),
          ("sum by (kind) (rate(notifier_sms_failed_total[$__rate_interval])) * 60", "percobaan gagal {{kind}}")),
    panel("Rasio kegagalan SMS (10 menit)", ("antre:sms_failure_ratio:rate10m", "gagal"), unit="percentunit"),
    panel("Permintaan ditolak", ("sum by (problem) (rate(antre_refusals_total[$__rate_interval])) * 60", "{{problem}}")),
    panel("Kesalahan", ("sum(rate(antre_outbox_relay_errors_total[$__rate_interval])) * 60", "relay outbox"),
          ("sum by (app_name) (rate(faststream_published_messages_exceptions_total[$__rate_interval])) * 60", "{{app_name}} terbit"),
          ("sum by (app_name) (rate(faststream_received_processed_messages_exceptions_total[$__rate_interval])) * 60", "{{app_name}} handler")),
], time_from="now-3h")  # fmt: skip


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, board in (
        ("hall-overview", HALL),
        ("service-levels", LEVELS),
        ("system-health", HEALTH),
    ):
        (OUT / f"{name}.json").write_text(json.dumps(board, indent=2, ensure_ascii=False) + "\n")
