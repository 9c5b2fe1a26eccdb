/* Shared by the kiosk, status and console pages: config, words, API calls, polling, times. */
"use strict";
const Antre = (() => {
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const words = cfg.texts;

  /** A sentence from texts.py with its {fields} filled in. */
  function t(key, vars) {
    const s = words[key] ?? key;
    return vars ? s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : "")) : s;
  }

  /** Call the JSON API; refusals come back as RFC 9457 problems whose `detail` we show as is.
   *  `retry`: while the system answers 503 (Redis away, it says when to try again) or cannot be
   *  reached, wait and send the same request again, up to `retry.times`, calling
   *  `retry.onWait(message)` before each wait. Only for requests safe to repeat: a GET, or a
   *  POST with an Idempotency-Key (the repeat answers as the first time). */
  async function api(path, { method = "GET", body, token, idempotencyKey, timeoutMs = 8000, retry } = {}) {
    for (let attempt = 1; ; attempt++) {
      const res = await send(path, { method, body, token, idempotencyKey, timeoutMs });
      const again = res.status === 503 || res.status === 0;
      if (!retry || !again || attempt >= (retry.times || 15)) return res;
      if (retry.onWait) retry.onWait(t("retrying", { n: attempt }));
      const after = Number(res.retryAfter) > 0 ? Number(res.retryAfter) : 2;
      await new Promise((resolve) => setTimeout(resolve, Math.min(after, 10) * 1000));
    }
  }

  async function send(path, { method, body, token, idempotencyKey, timeoutMs }) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const res = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctl.signal, cache: "no-store",
      });
      let data = null;
      try { data = await res.json(); } catch (_) { data = {}; }
      if (!res.ok && !(data && data.detail)) data = { detail: t("error_generic") };
      return { ok: res.ok, status: res.status, data, retryAfter: res.headers.get("Retry-After") };
    } catch (_) {
      return { ok: false, status: 0, data: { detail: t("offline") } };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run `tick` every `every` ms; back off (to 15 s) while it fails; pause while the tab is hidden. */
  function poll(tick, every = 1500) {
    let delay = every, timer = null, stopped = false;
    async function run() {
      timer = null;
      if (stopped || document.hidden) return;
      let ok = false;
      try { ok = await tick(); } catch (_) { ok = false; }
      delay = ok ? every : Math.min(delay * 2, 15000);
      if (!stopped && !document.hidden) timer = setTimeout(run, delay);
    }
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && !timer && !stopped) { delay = every; run(); }
    });
    run();
    return {
      stop() { stopped = true; clearTimeout(timer); timer = null; },
      now() { clearTimeout(timer); timer = null; if (!stopped) run(); },
    };
  }

  /** "10.35": the site's local time, the Indonesian way (a dot between hours and minutes). */
  function clock(iso, seconds = false) {
    const d = iso ? new Date(iso) : new Date();
    const parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: cfg.site.tz, hour: "2-digit", minute: "2-digit",
      second: seconds ? "2-digit" : undefined, hourCycle: "h23",
    }).formatToParts(d);
    const get = (k) => (parts.find((p) => p.type === k) || {}).value;
    return [get("hour"), get("minute")].concat(seconds ? [get("second")] : []).join(".");
  }

  const DAYS = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];
  const MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember"];
  /** "Sabtu, 28 November 2026" in the site's zone. */
  function date(iso) {
    const d = iso ? new Date(iso) : new Date();
    const p = new Intl.DateTimeFormat("en-CA", { timeZone: cfg.site.tz, year: "numeric",
      month: "numeric", day: "numeric" }).formatToParts(d);
    const get = (k) => Number((p.find((x) => x.type === k) || {}).value);
    const local = new Date(Date.UTC(get("year"), get("month") - 1, get("day")));
    return `${DAYS[local.getUTCDay()]}, ${get("day")} ${MONTHS[get("month") - 1]} ${get("year")}`;
  }

  function wait(seconds) {
    if (seconds == null) return "";
    if (seconds < 60) return t("under_minute");
    return t("minutes", { n: Math.round(seconds / 60) });
  }

  function callAt(iso) {
    return iso ? t("call_at", { time: clock(iso), tz: cfg.site.tz_label }) : "";
  }

  function ahead(n) {
    if (n == null) return "";
    return n === 0 ? t("none_ahead") : t("people_ahead", { n });
  }

  /** A DOM element: el("button", {class: "x", onclick: f}, "text", child…). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, "0")).join("");
  }

  return { cfg, t, api, poll, clock, date, wait, callAt, ahead, el, uuid };
})();
