/* The counter console: sign in with the officer's token, act on the current ticket, watch the queue. */
"use strict";
(() => {
  const { cfg, t, api, poll, el, uuid } = Antre;
  const $ = (id) => document.getElementById(id);
  const counter = cfg.counter;
  const base = `/api/v1/counters/${encodeURIComponent(counter.id)}`;
  const TOKEN_KEY = `antre.token.${counter.id}`;
  const REASONS = ["istirahat", "salat", "rapat", "gangguan"];

  /** Each action: its button, its key, what it posts; `pick` opens a chooser first. */
  const ACTIONS = [
    { id: "call_next", key: "n", path: "call-next" },
    { id: "recall", key: "u", path: "recall" },
    { id: "start", key: "m", path: "start" },
    { id: "finish", key: "s", path: "finish", body: { outcome: "served" } },
    { id: "no_show", key: "t", path: "finish", body: { outcome: "no_show" }, danger: true },
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
    $("actions").replaceChildren(...ACTIONS.map((a) =>
      el("button", { id: "act-" + a.id, class: "act" + (a.danger ? " danger" : ""), type: "button",
        "aria-keyshortcuts": a.key.toUpperCase(), onclick: () => trigger(a) },
      el("span", {}, t(a.id)), el("kbd", { "aria-hidden": "true" }, a.key.toUpperCase()))));
  }

  function signedOut(detail) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (poller) { poller.stop(); poller = null; }
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
    const [c, queues] = await Promise.all([
      api(base, { token }), api(`${base}/queues`, { token }),
    ]);
    if (!token) return true; // signed out while the answers were on their way
    if (c.status === 401) { signedOut(c.data.detail); return true; }
    const ok = c.ok && queues.ok;
    $("offline").classList.toggle("on", !ok);
    $("offline").textContent = ok ? "" : t("offline");
    if (!ok) return false;
    view = { counter: c.data, queues: queues.data };
    render();
    return true;
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
    $("current-detail").replaceChildren(...(tk
      ? [el("div", {}, names[tk.service] || tk.service), el("div", {}, tk.status === "serving" ? t("serving") : t("calls", { n: tk.calls }), " ", prio),
        tk.visit.length ? el("div", { class: "visit" }, t("visit_steps", { steps: tk.visit.map((s) => s.agency_name).join(" → ") })) : null]
      : [el("div", {}, t("no_current"))]));
    const phase = c.state !== "open" && !tk ? c.state : tk ? tk.status : "idle";
    const suggested = new Set(SUGGEST[phase] || []);
    for (const a of ACTIONS) $("act-" + a.id).classList.toggle("suggest", suggested.has(a.id));
    $("waiting").replaceChildren(...view.queues.map((q) => el("section", {},
      el("h3", {}, el("span", {}, q.service_name), el("span", {}, t("waiting_n", { n: q.waiting }))),
      q.tickets.length
        ? el("ol", { dataset: { service: q.service_id } }, q.tickets.map((w) => el("li", { dataset: { ticket: w.ticket_id } },
          el("span", { class: "num" }, w.number),
          w.priority && w.priority !== "regular" ? el("span", { class: "badge prio" }, t("prio_" + w.priority)) : null,
          el("span", { class: "age" }, t("waited", { n: Math.max(0, Math.floor((Date.now() - w.since_ms) / 60000)) })))))
        : el("p", { class: "none" }, t("nobody")))));
  }

  async function trigger(a) {
    if (busy || !token) return;
    if (a.pick) { choose(a); return; }
    await act(a, a.body);
  }

  async function act(a, body) {
    // Read the token each time: signing out (or in again) in another tab applies here too.
    token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) { signedOut(""); return; }
    busy = true;
    const button = $("act-" + a.id);
    button.setAttribute("aria-busy", "true");
    // One key per press: a retry after a 503 or a lost answer repeats the action, never doubles it.
    const res = await api(`${base}/${a.path}`, {
      method: "POST", body, token, idempotencyKey: uuid(),
      retry: { onWait: (msg) => say(msg, "waiting") },
    });
    button.removeAttribute("aria-busy");
    busy = false;
    if (res.status === 401) { signedOut(res.data.detail); return; }
    say(res.data.detail, res.ok ? "ok" : "refused");
    if (poller) poller.now();
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
    if (e.ctrlKey || e.altKey || e.metaKey || !token || $("picker").open) return;
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

  words();
  if (token) signIn(token); else signedOut("");
})();
