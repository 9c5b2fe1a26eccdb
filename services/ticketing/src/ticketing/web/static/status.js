/* A ticket's live status: polls the ticket until it is finished; pauses while the phone sleeps. */
"use strict";
(() => {
  const { cfg, t, api, poll, clock, callAt, ahead, el } = Antre;
  const $ = (id) => document.getElementById(id);
  const FINAL = new Set(["served", "no_show", "expired"]);

  $("site-name").textContent = cfg.site.name;
  $("label").textContent = t("your_number");
  $("hint").textContent = t("live_hint");
  document.title = t("title");

  function render(tk) {
    const st = tk.status;
    $("card").dataset.status = st;
    $("number").textContent = tk.number;
    document.title = `${tk.number} — ${t("title")}`;
    $("service").textContent = `${tk.service_name} · ${tk.agency_name}`;
    $("state").textContent = t("st_" + st);
    const counter = tk.counter_name || "";
    const headline = {
      called: t("go_to", { counter }),
      serving: t("serving_at", { counter }),
      served: t("served"),
      no_show: t("no_show"),
      expired: t("expired"),
      parked: t("parked"),
    }[st] || "";
    $("headline").textContent = headline;
    $("ahead").textContent = st === "waiting" ? ahead(tk.people_ahead) : "";
    $("eta").textContent = st === "waiting" ? callAt(tk.estimated_call_at) : "";
    // A visit across agencies: every step, where the visitor is, and where to go next.
    const steps = tk.visit || [];
    $("visit").hidden = steps.length === 0;
    $("visit-title").textContent = t("visit_title");
    $("visit-steps").replaceChildren(...steps.map((s) => el("li", { dataset: { state: s.state } },
      el("strong", {}, s.agency_name), ` — ${s.service_name} (${s.zone_name}) `,
      el("span", { class: "step-state" }, t("step_" + s.state)))));
    $("updated").textContent = t("updated", { time: clock(null, true) });
    if (FINAL.has(st)) { $("hint").textContent = ""; }
    const survey = $("survey");
    survey.hidden = !(st === "served" && cfg.survey_url);
    if (!survey.hidden) { survey.href = cfg.survey_url; survey.textContent = t("survey"); }
  }

  const poller = poll(async () => {
    const res = await api("/api/v1/tickets/" + encodeURIComponent(cfg.ticket_id));
    const offline = res.status === 0 || res.status >= 500;
    $("offline").classList.toggle("on", offline);
    $("offline").textContent = offline ? t("offline") : "";
    if (res.status === 404) {
      $("card").dataset.status = "unknown";
      $("headline").textContent = res.data.detail;
      poller.stop();
      return true;
    }
    if (!res.ok) return false;
    render(res.data);
    if (FINAL.has(res.data.status)) poller.stop();
    return true;
  }, 2000);
})();
