/* The kiosk flow: agency → service → priority → phone (optional) → ticket; idles back to the start. */
"use strict";
(() => {
  const { cfg, t, api, poll, clock, date, wait, callAt, ahead, el, uuid } = Antre;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const IDLE_S = Number(params.get("idle")) || 45;
  const TICKET_IDLE_S = Math.min(IDLE_S, 30);
  const STEPS = ["agency", "service", "priority", "phone", "ticket", "booking", "then"];
  const PRIORITIES = ["regular", "lansia", "disabilitas", "ibu_hamil"];
  const MAX_DIGITS = 15;
  // A kiosk device is set up once by opening /kiosk#kiosk-token=<its token>: the token is kept in
  // this browser and leaves the address bar. Without one the page is the public channel (a
  // visitor's phone), with its lower limits and its share of the quota.
  const TOKEN_KEY = "antre.kiosk.token";
  const given = new URLSearchParams(location.hash.slice(1)).get("kiosk-token");
  if (given) {
    localStorage.setItem(TOKEN_KEY, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const kioskToken = localStorage.getItem(TOKEN_KEY);

  let catalog = null;
  const pick = { agency: null, service: null, priority: "regular", phone: "", key: null, then: [] };
  let step = "agency";
  let idleTimer = null, countdownTimer = null, busy = false;

  function setWords() {
    document.title = t("title");
    $("site-name").textContent = cfg.site.name;
    $("hello").textContent = t("welcome");
    $("h-agency").textContent = t("choose_agency");
    $("h-service").textContent = t("choose_service");
    $("h-priority").textContent = t("choose_priority");
    $("priority-hint").textContent = t("priority_hint");
    $("h-phone").textContent = t("phone_title");
    $("phone-hint").textContent = t("phone_hint");
    $("phone-display").dataset.placeholder = t("phone_placeholder");
    $("take").textContent = t("take");
    $("skip").textContent = t("skip");
    $("print").textContent = t("print");
    $("done").textContent = t("done");
    $("back").textContent = "← " + t("back");
    $("restart").textContent = t("start_over");
    $("t-label").textContent = t("your_number");
    $("t-scan").textContent = t("scan_qr");
    $("t-foot").textContent = t("ticket_footer");
    $("t-site").textContent = cfg.site.name;
    $("has-booking").textContent = t("has_booking");
    $("h-booking").textContent = t("booking_title");
    $("booking-hint").textContent = t("booking_hint");
    $("booking-code-label").textContent = t("booking_title");
    $("check-in").textContent = t("check_in");
    $("add-then").textContent = t("add_then");
    $("h-then").textContent = t("then_title");
    $("then-hint").textContent = t("then_hint");
  }

  function tick() {
    $("clock").textContent = clock();
    $("today").textContent = date();
  }

  function show(next) {
    step = next;
    for (const s of STEPS) $("step-" + s).hidden = s !== next;
    $("nav").hidden = next === "agency" || next === "ticket";
    $("main").scrollTop = 0;
    const h = $("step-" + next).querySelector("h1, .t-number");
    if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); }
    armIdle();
  }

  /** Back to the first screen after a quiet spell, so the next visitor starts clean. */
  function armIdle() {
    clearTimeout(idleTimer);
    clearInterval(countdownTimer);
    $("countdown").textContent = "";
    if (step === "agency") return;
    const limit = step === "ticket" ? TICKET_IDLE_S : IDLE_S;
    const until = Date.now() + limit * 1000;
    idleTimer = setTimeout(reset, limit * 1000);
    if (step === "ticket") {
      const paint = () => { $("countdown").textContent = t("auto_return", { n: Math.max(0, Math.ceil((until - Date.now()) / 1000)) }); };
      paint();
      countdownTimer = setInterval(paint, 1000);
    }
  }

  function reset() {
    Object.assign(pick, { agency: null, service: null, priority: "regular", phone: "", key: null, then: [] });
    renderThen();
    paintPhone();
    $("booking-code").value = "";
    $("booking-error").textContent = "";
    $("phone-error").textContent = "";
    show("agency");
    refresh.now();
  }

  function servicesOf(agencyId) {
    return catalog.services.filter((s) => s.agency === agencyId);
  }

  function renderAgencies() {
    const box = $("agencies");
    box.replaceChildren(...catalog.agencies.map((a) => {
      const services = servicesOf(a.id);
      const waiting = services.reduce((n, s) => n + s.waiting, 0);
      return el("button", { class: "tile", dataset: { agency: a.id }, onclick: () => chooseAgency(a) },
        el("span", { class: "name" }, a.short_name),
        el("span", { class: "meta" },
          el("span", {}, t("services_n", { n: services.length })),
          el("span", {}, t("waiting_n", { n: waiting }))));
    }));
  }

  function renderServices() {
    if (!pick.agency) return;
    $("service-agency").textContent = pick.agency.name;
    $("services").replaceChildren(...servicesOf(pick.agency.id).map((s) => {
      const open = s.availability === "open";
      return el("button", {
        class: "tile", dataset: { service: s.id, availability: s.availability },
        "aria-disabled": open ? "false" : "true", onclick: () => open && chooseService(s),
      },
      el("span", { class: "name" }, s.name),
      el("span", { class: "meta" },
        el("span", { class: "avail" }, t("avail_" + s.availability)),
        el("span", {}, t("waiting_n", { n: s.waiting })),
        open ? el("span", {}, t("wait_est", { wait: wait(s.estimated_wait_s) })) : null));
    }));
  }

  function chooseAgency(a) { pick.agency = a; renderServices(); show("service"); }

  function chooseService(s) {
    pick.service = s;
    pick.then = [];
    renderThen();
    for (const id of ["priority-service", "phone-service"]) $(id).textContent = `${pick.agency.short_name} · ${s.name}`;
    show("priority");
  }

  function renderPriorities() {
    $("priorities").replaceChildren(...PRIORITIES.map((p) =>
      el("button", { class: "tile prio", dataset: { priority: p }, onclick: () => choosePriority(p) },
        el("span", { class: "name" }, t("prio_" + p)))));
  }

  function choosePriority(p) {
    pick.priority = p;
    pick.key = uuid(); // one key per attempt: a double tap or a retry makes one ticket
    show("phone");
  }

  function renderKeypad() {
    const key = (label, onclick, cls) => el("button", { class: cls || "", onclick, "aria-label": label }, label);
    const digits = "123456789".split("").map((d) => key(d, () => press(d)));
    $("keypad").replaceChildren(...digits,
      key(t("clear"), () => setPhone(""), "fn"),
      key("0", () => press("0")),
      key(t("erase"), () => setPhone(pick.phone.slice(0, -1)), "fn"));
  }

  function press(d) {
    if (pick.phone.length < MAX_DIGITS) setPhone(pick.phone + d);
  }

  function setPhone(value) {
    pick.phone = value;
    paintPhone();
  }

  /** 0812 3456 7890: grouped by four so the visitor can check it at a glance. */
  function paintPhone() {
    pick.key = uuid(); // another phone is another request: it needs its own key
    $("phone-display").textContent = pick.phone.replace(/(\d{4})(?=\d)/g, "$1 ");
    $("phone-error").textContent = "";
  }

  async function take(withPhone) {
    if (busy) return;
    busy = true;
    for (const id of ["take", "skip"]) $(id).disabled = true;
    $("take").textContent = t("taking");
    const body = { service_id: pick.service.id, priority: pick.priority, channel: kioskToken ? "kiosk" : "web",
      phone: withPhone && pick.phone ? pick.phone : null, then: pick.then.map((s) => s.id) };
    if (!withPhone) body.phone = null;
    // The same key on every try: a ticket whose answer was lost comes back, never a second one.
    const res = await api("/api/v1/tickets", {
      method: "POST", body, token: kioskToken, idempotencyKey: pick.key + (body.phone ? "" : ":np"),
      retry: { onWait: (msg) => { $("phone-error").textContent = msg; armIdle(); } },
    });
    busy = false;
    for (const id of ["take", "skip"]) $(id).disabled = false;
    $("take").textContent = t("take");
    if (!res.ok) { $("phone-error").textContent = res.data.detail; armIdle(); return; }
    renderTicket(res.data);
    show("ticket");
    if (params.get("autoprint") === "1") window.print();
  }

  function renderTicket(tk) {
    $("ticket-number").textContent = tk.number;
    $("t-service").textContent = tk.service_name;
    $("t-agency").textContent = tk.agency_name;
    $("t-prio").textContent = tk.priority && tk.priority !== "regular" ? t("priority_label", { label: t("short_" + tk.priority) }) : "";
    const visit = tk.visit || [];
    $("t-booking").textContent = visit.length
      ? t("visit_line", { steps: visit.map((s) => s.agency_name).join(" → ") }) : "";
    $("t-ahead").textContent = ahead(tk.people_ahead);
    $("t-eta").textContent = callAt(tk.estimated_call_at);
    $("t-time").textContent = `${date(tk.issued_at)} · ${clock(tk.issued_at)} ${cfg.site.tz_label}`;
    $("t-qr").src = `/t/${encodeURIComponent(tk.ticket_id)}/qr.svg`;
    $("ticket").dataset.ticketId = tk.ticket_id;
  }

  const refresh = poll(async () => {
    if (step !== "agency" && step !== "service" && catalog) return true;
    const res = await api("/api/v1/catalog");
    $("offline").classList.toggle("on", !res.ok);
    if (!res.ok) { $("offline").textContent = res.data.detail; return false; }
    catalog = res.data;
    renderAgencies();
    renderServices();
    return true;
  }, 10000);

  /** A visitor with an online booking: the code typed on the keys below or by the QR scanner
   *  (it types into the focused field and ends with Enter). Kiosks only: check-in needs the
   *  kiosk's token. */
  function renderCodeKeys() {
    const key = (label, onclick, cls) => el("button", { class: cls || "", onclick, "aria-label": label }, label);
    const letters = (cfg.code_alphabet || "").split("").map((c) => key(c, () => typeCode(c)));
    $("code-keys").replaceChildren(...letters,
      key(t("erase"), () => { $("booking-code").value = $("booking-code").value.slice(0, -1); }, "fn"),
      key(t("clear"), () => { $("booking-code").value = ""; }, "fn"));
  }

  function typeCode(c) {
    const input = $("booking-code");
    if (input.value.replace(/[^A-Z0-9]/gi, "").length < 8) input.value += c;
    if (input.value.replace(/[^A-Z0-9]/gi, "").length === 4 && !input.value.includes("-")) input.value += "-";
    $("booking-error").textContent = "";
  }

  async function checkIn() {
    const code = $("booking-code").value.trim();
    if (!code || busy) return;
    busy = true;
    $("check-in").disabled = true;
    if (!pick.key) pick.key = uuid();
    const res = await api(`/api/v1/bookings/${encodeURIComponent(code)}/check-in`, {
      method: "POST", token: kioskToken, idempotencyKey: pick.key,
      retry: { onWait: (msg) => { $("booking-error").textContent = msg; armIdle(); } },
    });
    busy = false;
    $("check-in").disabled = false;
    if (!res.ok) { pick.key = null; $("booking-error").textContent = res.data.detail; armIdle(); return; }
    const b = res.data.booking;
    renderTicket(res.data.ticket);
    $("t-booking").textContent = res.data.late
      ? t("booking_late", { slot: clock(b.slot_start), until: clock(b.checkin_closes) })
      : t("booking_ok", { code: b.code, slot: clock(b.slot_start) });
    show("ticket");
    if (params.get("autoprint") === "1") window.print();
  }

  /** A visit across agencies: further services, each at another agency, in the order chosen. */
  function renderThen() {
    const max = (cfg.max_visit_steps || 1) - 1;
    $("then-box").hidden = max < 1;
    $("then-list").replaceChildren(...pick.then.map((s, i) => el("li", {},
      el("span", {}, t("then_item", { n: i + 2, agency: agencyName(s.agency), service: s.name })), " ",
      el("button", { class: "secondary", "aria-label": t("then_remove", { service: s.name }),
        onclick: () => { pick.then.splice(i, 1); pick.key = uuid(); renderThen(); } }, "✕"))));
    $("add-then").hidden = pick.then.length >= max;
  }

  function agencyName(id) {
    return ((catalog && catalog.agencies.find((a) => a.id === id)) || {}).short_name || id;
  }

  function chooseThen() {
    const taken = new Set([pick.service.agency, ...pick.then.map((s) => s.agency)]);
    const options = catalog.services.filter((s) => !taken.has(s.agency));
    $("then-services").replaceChildren(...options.map((s) =>
      el("button", { class: "tile", dataset: { service: s.id }, onclick: () => {
        pick.then.push(s); pick.key = uuid(); renderThen(); show("priority");
      } }, el("span", { class: "name" }, s.name), el("span", { class: "meta" }, el("span", {}, agencyName(s.agency))))));
    show("then");
  }

  setWords();
  renderCodeKeys();
  $("add-then").addEventListener("click", chooseThen);
  $("has-booking").hidden = !kioskToken;
  $("has-booking").addEventListener("click", () => {
    pick.key = null;
    show("booking");
    $("booking-code").focus();
  });
  $("check-in").addEventListener("click", checkIn);
  $("booking-code").addEventListener("keydown", (e) => { if (e.key === "Enter") checkIn(); });
  $("booking-code").addEventListener("input", () => { pick.key = null; $("booking-error").textContent = ""; });
  renderPriorities();
  renderKeypad();
  tick();
  setInterval(tick, 1000);
  $("take").addEventListener("click", () => take(true));
  $("skip").addEventListener("click", () => take(false));
  $("print").addEventListener("click", () => { window.print(); armIdle(); });
  $("done").addEventListener("click", reset);
  $("restart").addEventListener("click", reset);
  const BACK = { booking: "agency", then: "priority" };
  $("back").addEventListener("click", () => show(BACK[step] || STEPS[Math.max(0, STEPS.indexOf(step) - 1)]));
  for (const ev of ["pointerdown", "keydown"]) document.addEventListener(ev, armIdle, { passive: true });
  show("agency");
})();
