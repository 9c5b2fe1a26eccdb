/* The coordinator's page: every officer's figures of a day (GET /api/v1/figures/officers), their
 * CSV (fetched with the token, saved as a file), and what each figure means. */
"use strict";
(() => {
  const { cfg, t, api, el, clock, date } = Antre;
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "antre.token.koordinator";
  /** The table's columns: the API's field, its heading, how it shows. */
  const COLUMNS = [
    { field: "officer_name", key: "col_name", text: true },
    { field: "served", key: "col_served" },
    { field: "no_show", key: "col_no_show" },
    { field: "transferred", key: "col_transferred" },
    { field: "parked", key: "col_parked" },
    { field: "mean_service_s", key: "col_mean_service", minutes: true },
    { field: "p90_service_s", key: "col_p90_service", minutes: true },
    { field: "mean_wait_s", key: "col_mean_wait", minutes: true },
    { field: "out_of_order", key: "col_out_of_order", flag: true },
  ];
  const SUMMED = ["served", "no_show", "transferred", "parked", "out_of_order"];
  const DEFS = ["def_served", "def_transferred", "def_parked", "def_service", "def_wait", "def_out_of_order"];

  let token = sessionStorage.getItem(TOKEN_KEY);
  let loading = false;

  /** Today in the site's zone, as YYYY-MM-DD. */
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: cfg.site.tz, year: "numeric",
      month: "2-digit", day: "2-digit" }).format(new Date());
  }

  /** Seconds as minutes with one decimal, "4,5"; "—" when there is nothing to average. */
  function minutes(seconds) {
    return seconds == null ? "—" : (seconds / 60).toFixed(1).replace(".", ",");
  }

  function words() {
    document.title = `${t("title")} — ${cfg.site.name}`;
    $("page-title").textContent = t("title");
    $("site").textContent = cfg.site.name;
    $("signin-title").textContent = t("sign_in");
    $("token-label").textContent = t("token");
    $("signin-button").textContent = t("sign_in_button");
    $("sign-out").textContent = t("sign_out");
    $("day-label").textContent = t("day");
    $("show").textContent = t("show");
    $("download").textContent = t("download");
    $("none").textContent = t("none");
    $("defs-title").textContent = t("defs_title");
    $("head").replaceChildren(...COLUMNS.map((c) =>
      el("th", { scope: "col", class: c.text ? "" : "n", dataset: { field: c.field } }, t(c.key))));
    $("defs").replaceChildren(...DEFS.map((k) => el("li", {}, t(k))));
  }

  function signedOut(detail) {
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("report").hidden = true;
    $("signin").hidden = false;
    $("sign-out").hidden = true;
    $("officer").textContent = "";
    $("signin-error").textContent = detail || "";
    $("token").value = "";
    $("token").focus();
  }

  /** Show the chosen day's figures; a refused token (401, or 403 not a coordinator) signs out. */
  async function load(candidate) {
    if (loading) return;
    loading = true;
    const day = $("day").value || today();
    const res = await api(`/api/v1/figures/officers?day=${encodeURIComponent(day)}`, { token: candidate });
    loading = false;
    if (res.status === 401 || res.status === 403) { signedOut(res.data.detail); return; }
    $("offline").classList.toggle("on", res.status === 0 || res.status >= 500);
    $("offline").textContent = res.status === 0 ? t("offline") : "";
    if (!res.ok) { $("error").textContent = res.data.detail; return; }
    token = candidate;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("signin").hidden = true;
    $("report").hidden = false;
    $("sign-out").hidden = false;
    $("error").textContent = "";
    render(res.data);
  }

  function cell(row, c) {
    const v = row[c.field];
    const shown = c.minutes ? minutes(v) : String(v ?? "");
    const flag = c.flag && Number(v) > 0;
    return el(c.text ? "th" : "td", { scope: c.text ? "row" : null, class: [c.text ? "" : "n", flag ? "flag" : ""].join(" ").trim() || null,
      dataset: { field: c.field, value: v == null ? "" : String(v) } }, shown);
  }

  function render(data) {
    $("day").value = data.day;
    $("caption").textContent = `${t("title")} · ${date(data.day + "T12:00:00Z")}`;
    $("rows").replaceChildren(...data.officers.map((row) =>
      el("tr", { dataset: { officer: row.officer_id } }, COLUMNS.map((c) => cell(row, c)))));
    const sum = (f) => data.officers.reduce((n, r) => n + Number(r[f] || 0), 0);
    $("totals").replaceChildren(data.officers.length > 1 ? el("tr", {}, COLUMNS.map((c) =>
      c.text ? el("th", { scope: "row" }, t("total"))
        : el("td", { class: "n" }, SUMMED.includes(c.field) ? String(sum(c.field)) : ""))) : "");
    $("none").hidden = data.officers.length > 0;
    $("figures").hidden = data.officers.length === 0;
    $("updated").textContent = t("updated", { time: clock(), tz: cfg.site.tz_label });
  }

  /** The CSV needs the bearer header, so it is fetched here and saved from a blob. */
  async function download() {
    const day = $("day").value || today();
    const button = $("download");
    button.setAttribute("aria-busy", "true");
    try {
      const res = await fetch(`/api/v1/figures/officers.csv?day=${encodeURIComponent(day)}`, {
        headers: { Authorization: "Bearer " + token, Accept: "text/csv" }, cache: "no-store",
      });
      if (!res.ok) {
        let detail = t("error_generic");
        try { detail = (await res.json()).detail || detail; } catch (_) { /* not JSON */ }
        if (res.status === 401 || res.status === 403) { signedOut(detail); return; }
        $("error").textContent = t("download_failed", { detail });
        return;
      }
      const named = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
      const href = URL.createObjectURL(await res.blob());
      const link = el("a", { href, download: named ? named[1] : `kinerja-petugas-${day}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10000);
    } catch (_) {
      $("error").textContent = t("download_failed", { detail: t("offline") });
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const candidate = $("token").value.trim();
    if (candidate) load(candidate);
  });
  $("day-form").addEventListener("submit", (e) => { e.preventDefault(); if (token) load(token); });
  $("day").addEventListener("change", () => { if (token && $("day").value) load(token); });
  $("download").addEventListener("click", () => { if (token) download(); });
  $("sign-out").addEventListener("click", () => signedOut(""));

  words();
  $("day").value = today();
  $("day").max = today();
  if (token) load(token); else signedOut("");
})();
