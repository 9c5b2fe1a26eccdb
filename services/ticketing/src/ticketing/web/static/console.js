/* The counter console: sign in with the officer's token, act on the current ticket, watch the queue,
 * park a ticket and call one back by number, and see the officer's own figures of the day. */
"use strict";
(() => {
  const { cfg, t, api, poll, el, uuid, clock } = Antre;
  const $ = (id) => document.getElementById(id);
  const counter = cfg.counter;
  const base = `/api/v1/counters/${encodeURIComponent(counter.id)}`;
  const TOKEN_KEY = `antre.token.${counter.id}`;
  const REASONS = ["istirahat", "salat", "rapat", "gangguan"];

  const FIGURES_EVERY_MS = 60000; // and after each action
  /** Each action: its button, its key, what it posts; `pick` opens a chooser first, `dialog` a form. */
  const ACTIONS = [
    { id: "call_next", key: "n", path: "call-next" },
    { id: "recall", key: "u", path: "recall" },
    { id: "call_number", key: "o", dialog: "call" },
    { id: "start", key: "m", path: "start" },
    { id: "finish", key: "s", path: "finish", body: { outcome: "served" } },
    { id: "no_show", key: "t", path: "finish", body: { outcome: "no_show" }, danger: true },
    { id: "park", key: "p", dialog: "park" },
    { id: "transfer", key: "a", path: "transfer", pick: "transfer" },
    { id: "add_step", key: "l", path: "visit/add", pick: "add_step" },
    { id: "remove_step", key: "h", path: "visit/remove", pick: "remove_step" },
    { id: "open", key: "b", path: "open" },
    { id: "break", key: "i", path: "break", pick: "break" },
    { id: "close", key: "x", path: "close", pick: "close", danger: true },
  ];
  const SUGGEST = {
    closed: ["open"], break: ["open"], idle: ["call_next"],
    called: ["start", "recall", "no_show"], serving: ["finish", "transfer"],
  };

  let token = sessionStorage.getItem(TOKEN_KEY);
  let catalog = null, view = null, poller = null, busy = false;
  let figuresAt = 0, reasonTouched = false;
  const names = {};

  function words() {
    $("counter-name").textContent = counter.name;
    $("signin-title").textContent = `${t("sign_in")} · ${counter.name}`;
    $("token-label").textContent = t("token");
    $("signin-button").textContent = t("sign_in_button");
    $("sign-out").textContent = t("sign_out");
    $("current-label").textContent = t("current");
    $("waiting-title").textContent = t("waiting_list");
    $("shortcuts").textContent = t("shortcuts");
    $("picker-cancel").textContent = t("cancel");
    $("parked-title").textContent = t("parked_title");
    $("figures-title").textContent = t("figures_title");
    $("call-title").textContent = t("call_number_title");
    $("call-number-label").textContent = t("number_label");
    $("call-number").placeholder = t("number_placeholder");
    $("call-reason-label").textContent = t("reason_label");
    $("call-reason").replaceChildren(...Object.entries(cfg.call_reasons).map(([k, label]) =>
      el("option", { value: k }, label)));
    $("call-cancel").textContent = t("cancel");
    $("call-submit").textContent = t("call");
    $("park-hint").textContent = t("park_hint");
    $("park-reasons").replaceChildren(el("legend", {}, t("reason_label")),
      ...Object.entries(cfg.park_reasons).map(([k, label]) => el("label", {},
        el("input", { type: "radio", name: "park-reason", value: k, required: true }), el("span", {}, label))));
    $("park-cancel").textContent = t("cancel");
    $("park-submit").textContent = t("park_confirm");
    $("actions").replaceChildren(...ACTIONS.map((a) =>
      el("button", { id: "act-" + a.id, class: "act" + (a.danger ? " danger" : ""), type: "button",
        "aria-keyshortcuts": a.key.toUpperCase(), onclick: () => trigger(a) },
      el("span", {}, t(a.id)), el("kbd", { "aria-hidden": "true" }, a.key.toUpperCase()))));
  }

  function signedOut(detail) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (poller) { poller.stop(); poller = null; }
    for (const d of document.querySelectorAll("dialog[open]")) d.close();
    figuresAt = 0;
    $("desk").hidden = true;
    $("signin").hidden = false;
    $("sign-out").hidden = true;
    $("state").hidden = true;
    $("officer").textContent = "";
    $("signin-error").textContent = detail || "";
    $("token").value = "";
    $("token").focus();
  }

  async function signIn(candidate) {
    const res = await api(`/api/v1/counters/${encodeURIComponent(counter.id)}/session`, { token: candidate });
    if (!res.ok) { signedOut(res.data.detail); return; }
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("officer").textContent = t("officer", { name: res.data.officer_name });
    $("signin").hidden = true;
    $("desk").hidden = false;
    $("sign-out").hidden = false;
    say("", "");
    if (!catalog) {
      const cat = await api("/api/v1/catalog");
      if (cat.ok) {
        catalog = cat.data;
        for (const s of catalog.services) names[s.id] = s.name;
      }
    }
    poller = poll(refresh, 1500);
    document.querySelector(".act.suggest, .act").focus();
  }

  function say(text, kind) {
    $("message").textContent = text;
    $("message").className = kind;
  }

  /** Nodes without the absent ones (replaceChildren would write "null"). */
  const present = (nodes) => nodes.filter((n) => n != null && n !== false);

  /** The current ticket's fields, whichever shape the API gives (full names or Redis short ones). */
  function ticketOf(raw) {
    if (!raw) return null;
    return {
      number: raw.number ?? raw.num, service: raw.service_id ?? raw.svc,
      priority: raw.priority ?? raw.prio, status: raw.status,
      calls: Number(raw.call_count ?? raw.calls ?? 0), visit: raw.visit || [],
    };
  }

  async function refresh() {
    // The officer's own figures: after each action (figuresAt = 0) and once a minute.
    const figuresDue = Date.now() - figuresAt > FIGURES_EVERY_MS;
    const [c, queues, parked, figures] = await Promise.all([
      api(base, { token }), api(`${base}/queues`, { token }), api(`${base}/parked`, { token }),
      figuresDue ? api(`${base}/figures`, { token }) : null,
    ]);
    if (!token) return true; // signed out while the answers were on their way
    if (c.status === 401) { signedOut(c.data.detail); return true; }
    const ok = c.ok && queues.ok && parked.ok;
    $("offline").classList.toggle("on", !ok);
    $("offline").textContent = ok ? "" : t("offline");
    if (figures && figures.ok) { figuresAt = Date.now(); renderFigures(figures.data); }
    if (!ok) return false;
    view = { counter: c.data, queues: queues.data, parked: parked.data };
    render();
    return true;
  }

  /** "4,5 mnt": seconds as minutes with one decimal, the Indonesian way; "—" when none yet. */
  function minutes(seconds) {
    return seconds == null ? "—" : t("mins", { n: (seconds / 60).toFixed(1).replace(".", ",") });
  }

  function renderFigures(f) {
    const items = [["served", f.served], ["no_show", f.no_show], ["transferred", f.transferred],
      ["parked", f.parked], ["mean_service", minutes(f.mean_service_s)], ["mean_wait", minutes(f.mean_wait_s)]];
    $("figures-list").replaceChildren(...items.map(([k, v]) => el("div", { dataset: { figure: k } },
      el("dt", {}, t("fig_" + k)), el("dd", {}, String(v)))));
  }

  function render() {
    const c = view.counter;
    const tk = ticketOf(c.current_ticket);
    const state = $("state");
    state.hidden = false;
    state.className = "badge " + c.state;
    state.textContent = t("state_" + c.state) + (c.reason ? ` (${c.reason})` : "");
    $("current-number").textContent = tk ? tk.number : "—";
    const prio = tk && tk.priority && tk.priority !== "regular" ? el("span", { class: "badge prio" }, t("prio_" + tk.priority)) : null;
    $("current-detail").replaceChildren(...present(tk
      ? [el("div", {}, names[tk.service] || tk.service), el("div", {}, tk.status === "serving" ? t("serving") : t("calls", { n: tk.calls }), " ", prio),
        tk.visit.length ? el("div", { class: "visit" }, t("visit_steps", { steps: tk.visit.map((s) => s.agency_name).join(" → ") })) : null]
      : [el("div", {}, t("no_current"))]));
    const phase = c.state !== "open" && !tk ? c.state : tk ? tk.status : "idle";
    const suggested = new Set(SUGGEST[phase] || []);
    for (const a of ACTIONS) $("act-" + a.id).classList.toggle("suggest", suggested.has(a.id));
    $("act-park").disabled = !(tk && (tk.status === "called" || tk.status === "serving"));
    $("parked").replaceChildren(view.parked.length
      ? el("ol", {}, view.parked.map((p) => el("li", { dataset: { ticket: p.ticket_id } },
        el("span", { class: "num" }, p.number),
        el("span", { class: "what" }, el("span", {}, p.service_name),
          el("small", {}, `${p.reason_label} · ${t("parked_since", { time: clock(p.parked_ms) })}`)),
        el("button", { type: "button", class: "call-back", "aria-label": t("call_back", { number: p.number }),
          onclick: (e) => callBack(p.number, e.currentTarget) }, t("call")))))
      : el("p", { class: "none" }, t("parked_none")));
    $("waiting").replaceChildren(...view.queues.map((q) => el("section", {},
      el("h3", {}, el("span", {}, q.service_name), el("span", {}, t("waiting_n", { n: q.waiting }))),
      q.tickets.length
        ? el("ol", { dataset: { service: q.service_id } }, q.tickets.map((w) => el("li", { dataset: { ticket: w.ticket_id } },
          el("button", { type: "button", class: "num", title: t("pick_number", { number: w.number }),
            "aria-label": t("pick_number", { number: w.number }), onclick: () => openCall(w.number) }, w.number),
          w.priority && w.priority !== "regular" ? el("span", { class: "badge prio" }, t("prio_" + w.priority)) : null,
          el("span", { class: "age" }, t("waited", { n: Math.max(0, Math.floor((Date.now() - w.since_ms) / 60000)) })))))
        : el("p", { class: "none" }, t("nobody")))));
  }

  async function trigger(a) {
    if (busy || !token || $("act-" + a.id).disabled) return;
    if (a.dialog === "call") { openCall(""); return; }
    if (a.dialog === "park") { openPark(); return; }
    if (a.pick) { choose(a); return; }
    await act(a, a.body);
  }

  /** While one action is on its way (retried through an outage, perhaps) the others wait: they
   * look it (greyed, aria-disabled) instead of ignoring a press silently. */
  function setBusy(on, button) {
    busy = on;
    document.body.classList.toggle("busy", on);
    for (const b of document.querySelectorAll(".act")) {
      if (on) b.setAttribute("aria-disabled", "true"); else b.removeAttribute("aria-disabled");
    }
    if (on) button.setAttribute("aria-busy", "true"); else button.removeAttribute("aria-busy");
  }

  /** POST a counter action; null when signed out (then the sign-in form shows why). */
  async function post(path, body, button, onWait = (msg) => say(msg, "waiting")) {
    // Read the token each time: signing out (or in again) in another tab applies here too.
    token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) { signedOut(""); return null; }
    setBusy(true, button);
    // One key per press: a retry after a 503 or a lost answer repeats the action, never doubles it.
    const res = await api(`${base}/${path}`, {
      method: "POST", body, token, idempotencyKey: uuid(), retry: { onWait },
    });
    setBusy(false, button);
    if (res.status === 401) { signedOut(res.data.detail); return null; }
    figuresAt = 0;
    if (poller) poller.now();
    return res;
  }

  async function act(a, body) {
    const res = await post(a.path, body, $("act-" + a.id));
    if (res) say(res.data.detail, res.ok ? "ok" : "refused");
  }

  /** The parked panel's Panggil: call that ticket back here. */
  async function callBack(number, button) {
    if (busy || !token) return;
    const res = await post("call-number", { number, reason: "kembali_parkir" }, button);
    if (res) say(res.data.detail, res.ok ? "ok" : "refused");
  }

  /** "a17" → "A-017": the number as tickets print it. */
  function normalise(value) {
    const s = value.toUpperCase().replace(/\s+/g, "");
    const m = /^([A-Z]{1,2})-?(\d{1,5})$/.exec(s);
    return m ? `${m[1]}-${m[2].padStart(3, "0")}` : s;
  }

  /** The reason follows the number until the officer picks one: back from parking, or late. */
  function defaultReason() {
    if (reasonTouched) return;
    const parked = new Set(((view && view.parked) || []).map((p) => p.number));
    $("call-reason").value = parked.has(normalise($("call-number").value)) ? "kembali_parkir" : "terlambat";
  }

  function fillNumber(number) {
    $("call-number").value = number;
    $("call-error").textContent = "";
    defaultReason();
    $("call-submit").focus();
  }

  /** Panggil nomor…: a number (typed, or one of the parked and waiting ones) and a reason. */
  function openCall(number) {
    if (busy || !token) return;
    reasonTouched = false;
    $("call-error").textContent = "";
    const chip = (n, kind) => el("button", { type: "button", class: "chip " + kind, onclick: () => fillNumber(n) }, n);
    const parked = ((view && view.parked) || []).map((p) => chip(p.number, "parked"));
    const waiting = ((view && view.queues) || []).flatMap((q) => q.tickets.map((w) => chip(w.number, "waiting")));
    $("call-suggest").replaceChildren(...present([
      parked.length ? el("div", {}, el("span", {}, t("suggest_parked")), parked) : null,
      waiting.length ? el("div", {}, el("span", {}, t("suggest_waiting")), waiting.slice(0, 12)) : null]));
    $("call-number").value = number || "";
    defaultReason();
    $("call-dialog").showModal();
    if (number) $("call-submit").focus(); else $("call-number").focus();
  }

  async function submitCall() {
    const number = normalise($("call-number").value);
    $("call-number").value = number;
    if (!/^[A-Z]{1,2}-\d{3,5}$/.test(number)) {
      $("call-error").textContent = t("number_invalid");
      $("call-number").focus();
      return;
    }
    if (busy) return;
    $("call-error").textContent = "";
    const res = await post("call-number", { number, reason: $("call-reason").value }, $("call-submit"),
      (msg) => { $("call-error").textContent = msg; });
    if (!res) return;
    if (res.ok) { $("call-dialog").close(); say(res.data.detail, "ok"); } else $("call-error").textContent = res.data.detail;
  }

  /** Parkir: the current ticket steps away with a reason, after a confirmation. */
  function openPark() {
    const tk = view && ticketOf(view.counter.current_ticket);
    if (!tk) return;
    $("park-title").textContent = t("park_title", { number: tk.number });
    $("park-error").textContent = "";
    $("park-form").reset();
    $("park-submit").disabled = true;
    $("park-dialog").showModal();
    $("park-reasons").querySelector("input").focus();
  }

  async function submitPark() {
    const chosen = $("park-form").querySelector("input[name=park-reason]:checked");
    if (!chosen || busy) return;
    const res = await post("park", { reason: chosen.value }, $("park-submit"),
      (msg) => { $("park-error").textContent = msg; });
    if (!res) return;
    if (res.ok) { $("park-dialog").close(); say(res.data.detail, "ok"); } else $("park-error").textContent = res.data.detail;
  }

  /** A chooser in a modal dialog: the service to transfer to, the break's reason, or a confirmation. */
  function choose(a) {
    const current = view && ticketOf(view.counter.current_ticket);
    let title, options;
    if (a.pick === "transfer") {
      title = t("transfer_title");
      options = (catalog ? catalog.services : []).filter((s) => !current || s.id !== current.service)
        .map((s) => ({ label: s.name, sub: (catalog.agencies.find((g) => g.id === s.agency) || {}).short_name, body: { service_id: s.id } }));
    } else if (a.pick === "add_step") {
      title = t("add_step_title");
      const visit = current ? current.visit : [];
      const service = catalog ? catalog.services.find((s) => current && s.id === current.service) : null;
      const taken = new Set(visit.map((s) => s.agency_name));
      const agencyOf = (s) => (catalog.agencies.find((g) => g.id === s.agency) || {}).short_name;
      options = (catalog ? catalog.services : [])
        .filter((s) => service && s.agency !== service.agency && !taken.has(agencyOf(s)))
        .map((s) => ({ label: s.name, sub: agencyOf(s), body: { service_id: s.id } }));
    } else if (a.pick === "remove_step") {
      title = t("remove_step_title");
      options = (current ? current.visit : []).filter((s) => s.state === "next")
        .map((s) => ({ label: s.service_name, sub: s.agency_name, body: { service_id: s.service_id } }));
    } else if (a.pick === "break") {
      title = t("break_title");
      options = REASONS.map((r) => ({ label: t("reason_" + r), body: { reason: r } }));
    } else {
      title = t("confirm_close");
      options = [{ label: t("yes_close"), body: undefined }];
    }
    $("picker-title").textContent = title;
    $("picker-options").replaceChildren(...options.map((o, i) =>
      el("button", { type: "button", dataset: { option: String(i) },
        onclick: () => { $("picker").close(); act(a, o.body); } },
      o.label, o.sub ? el("small", {}, o.sub) : null)));
    $("picker").showModal();
    const first = $("picker-options").querySelector("button");
    if (first) first.focus();
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || !token || document.querySelector("dialog[open]")) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    const a = ACTIONS.find((x) => x.key === e.key.toLowerCase());
    if (!a) return;
    e.preventDefault();
    $("act-" + a.id).focus();
    trigger(a);
  });
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const candidate = $("token").value.trim();
    if (candidate) signIn(candidate);
  });
  $("sign-out").addEventListener("click", () => signedOut(""));
  $("call-number").addEventListener("input", (e) => {
    const input = e.target, at = input.selectionStart;
    input.value = input.value.toUpperCase();
    input.setSelectionRange(at, at);
    $("call-error").textContent = "";
    defaultReason();
  });
  $("call-reason").addEventListener("change", () => { reasonTouched = true; });
  $("call-form").addEventListener("submit", (e) => { e.preventDefault(); submitCall(); });
  $("call-cancel").addEventListener("click", () => $("call-dialog").close());
  $("park-form").addEventListener("change", () => {
    $("park-submit").disabled = !$("park-form").querySelector("input[name=park-reason]:checked");
  });
  $("park-form").addEventListener("submit", (e) => { e.preventDefault(); submitPark(); });
  $("park-cancel").addEventListener("click", () => $("park-dialog").close());

  words();
  if (token) signIn(token); else signedOut("");
})();
