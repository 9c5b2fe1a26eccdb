/* Online booking from a phone: agency, service, day, slot, optional phone; then the code and
 * its QR. With a code: see, move or cancel the booking. Words come from texts.py (BOOKING). */
"use strict";
(() => {
  const { cfg, t, api, el, clock, date, uuid } = Antre;
  const $ = (id) => document.getElementById(id);
  const steps = ["agency", "service", "day", "slot", "phone", "done"];
  const state = { options: null, agency: null, service: null, day: null, slot: null,
    moving: null, history: [] };

  for (const [id, key] of [["title", "title"], ["h-agency", "choose_agency"], ["h-service", "choose_service"],
    ["h-day", "choose_day"], ["h-slot", "choose_slot"], ["h-phone", "phone_title"], ["phone-hint", "phone_hint"],
    ["phone-label", "phone_title"], ["privacy", "privacy"], ["confirm", "confirm"], ["h-done", "done_title"],
    ["keep", "keep_code"], ["move", "move"], ["cancel", "cancel"], ["back", "back"],
    ["manage-title", "manage_title"], ["code-label", "code_label"], ["find", "find"]]) {
    $(id).textContent = t(key);
  }
  $("site-name").textContent = cfg.site.name;
  $("phone").placeholder = t("phone_placeholder");

  function show(step, remember = true) {
    const current = steps.find((s) => !$("step-" + s).hidden);
    if (remember && current && current !== step && current !== "done") state.history.push(current);
    for (const s of steps) $("step-" + s).hidden = s !== step;
    $("back").hidden = state.history.length === 0 || step === "done";
    $("error").textContent = "";
    const heading = $("step-" + step).querySelector("h2");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
    crumb();
  }

  function crumb() {
    const parts = [];
    if (state.moving) parts.push(t("moving", { code: state.moving.code }));
    if (state.service) parts.push(state.service.agency_name + " — " + state.service.name);
    if (state.day) parts.push(dayName(state.day));
    $("crumb").textContent = parts.join(" · ");
  }

  const dayName = (day) => date(day + "T12:00:00Z");
  const fail = (res) => { $("error").textContent = res.data.detail || t("error_generic"); };

  function agencies() {
    const seen = new Map();
    for (const s of state.options.services) {
      if (!seen.has(s.agency_id)) seen.set(s.agency_id, { id: s.agency_id, name: s.agency_name, n: 0 });
      seen.get(s.agency_id).n++;
    }
    $("agencies").replaceChildren(...[...seen.values()].map((a) =>
      el("button", { onclick: () => { state.agency = a.id; services(); } },
        a.name, el("small", {}, t("services_n", { n: a.n })))));
    if (!seen.size) $("agencies").replaceChildren(el("p", {}, t("nothing_bookable")));
  }

  function services() {
    const list = state.options.services.filter((s) => s.agency_id === state.agency);
    $("services").replaceChildren(...list.map((s) =>
      el("button", { onclick: () => { state.service = s; days(); } }, s.name)));
    show("service");
  }

  function days() {
    const list = state.options.days;
    $("days").replaceChildren(...list.map((d) =>
      el("button", { onclick: () => { state.day = d; slots(); } }, dayName(d))));
    if (!list.length) $("days").replaceChildren(el("p", {}, t("no_days")));
    show("day");
  }

  async function slots() {
    show("slot");
    $("slots").replaceChildren(el("p", {}, t("loading")));
    const res = await api(`/api/v1/booking/slots?service_id=${encodeURIComponent(state.service.id)}&day=${state.day}`,
      { retry: { times: 5 } });
    if (!res.ok) { $("slots").replaceChildren(); return fail(res); }
    const list = res.data.slots;
    $("slots").replaceChildren(...list.map((s) => el("button", {
      disabled: s.free <= 0, "aria-label": `${s.slot} — ${s.free > 0 ? t("free_n", { n: s.free }) : t("full")}`,
      onclick: () => { state.slot = s.slot; if (state.moving) move(); else show("phone"); },
    }, s.slot, el("small", {}, s.free > 0 ? t("free_n", { n: s.free }) : t("full")))));
    if (!list.length) $("slots").replaceChildren(el("p", {}, t("no_slots")));
  }

  async function book() {
    const body = { service_id: state.service.id, day: state.day, slot: state.slot };
    const phone = $("phone").value.trim();
    if (phone) body.phone = phone;
    $("confirm").disabled = true;
    $("confirm").textContent = t("booking");
    const res = await api("/api/v1/bookings", { method: "POST", body, idempotencyKey: state.key,
      retry: { times: 8, onWait: (m) => { $("error").textContent = m; } } });
    $("confirm").disabled = false;
    $("confirm").textContent = t("confirm");
    if (!res.ok) return fail(res);
    state.key = uuid();
    done(res.data, t("done_title"));
  }

  async function move() {
    const res = await api(`/api/v1/bookings/${encodeURIComponent(state.moving.code)}/move`,
      { method: "POST", body: { day: state.day, slot: state.slot } });
    if (!res.ok) return fail(res);
    done(res.data, t("moved_title"));
  }

  function done(b, heading) {
    state.moving = null;
    state.history = [];
    state.booking = b;
    $("h-done").textContent = heading;
    $("code").textContent = b.code;
    $("qr").src = b.qr_url;
    $("qr").alt = t("qr_alt", { code: b.code });
    $("when").textContent = `${dayName(b.day)}, ${t("at", { time: clock(b.slot_start), tz: cfg.site.tz_label })}`;
    $("where").textContent = `${b.agency_name} — ${b.service_name}`;
    $("checkin").textContent = b.status === "booked"
      ? t("checkin", { from: clock(b.checkin_opens), until: clock(b.checkin_closes) })
      : t("status_is", { status: b.status_label });
    $("manage-actions").hidden = b.status !== "booked";
    show("done", false);
    state.service = state.day = null;
    $("crumb").textContent = "";
  }

  async function find() {
    const code = $("code-input").value.trim();
    if (!code) return;
    const res = await api(`/api/v1/bookings/${encodeURIComponent(code)}`);
    if (!res.ok) return fail(res);
    $("manage").open = false;
    done(res.data, t("your_booking"));
  }

  $("confirm").addEventListener("click", book);
  $("find").addEventListener("click", find);
  $("code-input").addEventListener("keydown", (e) => { if (e.key === "Enter") find(); });
  $("back").addEventListener("click", () => {
    const prev = state.history.pop();
    if (prev) show(prev, false);
  });
  $("cancel").addEventListener("click", async () => {
    const b = state.booking;
    if (!b || !window.confirm(t("confirm_cancel", { code: b.code }))) return;
    const res = await api(`/api/v1/bookings/${encodeURIComponent(b.code)}`, { method: "DELETE" });
    if (!res.ok) return fail(res);
    done(res.data, t("cancelled_title"));
  });
  $("move").addEventListener("click", () => {
    const b = state.booking;
    state.moving = b;
    state.service = state.options.services.find((s) => s.id === b.service_id) || null;
    if (!state.service) return;
    state.history = [];
    days();
  });

  async function start() {
    state.key = uuid();
    const res = await api("/api/v1/booking/options", { retry: { times: 10 } });
    if (!res.ok) return fail(res);
    state.options = res.data;
    agencies();
    show("agency", false);
  }
  start();
})();
