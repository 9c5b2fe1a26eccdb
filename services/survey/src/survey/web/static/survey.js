// The survey form, for the counter's tablet (mode "tablet") and the visitor's phone ("phone").
// Config comes from the page (window.SURVEY). Answers go once per ticket; a 503 or a lost
// answer is sent again with the same body (a repeat is answered with the first answer).
(function () {
  "use strict";
  const C = window.SURVEY, T = C.texts, Q = C.questionnaire;
  const $ = (id) => document.getElementById(id);
  const FACES = [
    '<path d="M18 44c4-6 24-6 28 0" />', '<path d="M20 42c6-3 18-3 24 0" />',
    '<path d="M20 38c6 5 18 5 24 0" />', '<path d="M17 36c5 10 25 10 30 0" />',
  ];
  function face(i) {
    return '<svg viewBox="0 0 64 64" aria-hidden="true" fill="none" stroke="#111" stroke-width="3">' +
      '<circle cx="32" cy="32" r="28" fill="' + ["#f4cccc", "#fce5cd", "#d9ead3", "#b6d7a8"][i] + '" />' +
      '<circle cx="23" cy="26" r="3" fill="#111" /><circle cx="41" cy="26" r="3" fill="#111" />' +
      FACES[i] + "</svg>";
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function show(id) {
    for (const s of ["form", "waiting", "thanks", "notice"]) $(s).hidden = s !== id;
  }
  function notice(text) { $("notice-text").textContent = text; show("notice"); }

  function build() {
    const total = Q.elements.length;
    let html = "";
    Q.elements.forEach((e, n) => {
      html += '<fieldset id="q-' + e.code + '"><legend><span class="step">' +
        esc(T.question_of.replace("{n}", n + 1).replace("{total}", total)) + "</span>" +
        esc(e.question) + '</legend><div class="choices">';
      e.answers.forEach((word, i) => {
        html += '<label class="choice"><input type="radio" name="' + e.code + '" value="' + (i + 1) +
          '" />' + face(i) + "<span>" + esc(word) + "</span></label>";
      });
      html += "</div></fieldset>";
    });
    html += '<fieldset><legend>' + esc(T.optional) + "</legend>";
    for (const f of Q.respondent) {
      html += '<label class="field" for="r-' + f.key + '">' + esc(f.label) + '</label><select id="r-' +
        f.key + '"><option value="">—</option>';
      for (const [v, label] of f.options) html += '<option value="' + esc(v) + '">' + esc(label) + "</option>";
      html += "</select>";
    }
    html += '<label class="field" for="suggestion">' + esc(T.suggestion) +
      '</label><textarea id="suggestion" rows="3" maxlength="1000"></textarea></fieldset>';
    $("questions").innerHTML = html;
  }

  function collect() {
    const scores = {}, missing = [];
    for (const e of Q.elements) {
      const chosen = document.querySelector('input[name="' + e.code + '"]:checked');
      $("q-" + e.code).classList.toggle("missing", !chosen);
      if (chosen) scores[e.code] = Number(chosen.value); else missing.push(e.code);
    }
    const respondent = {};
    for (const f of Q.respondent) { const v = $("r-" + f.key).value; if (v) respondent[f.key] = v; }
    const suggestion = $("suggestion").value.trim();
    return { missing, body: { scores, respondent, suggestion: suggestion || null } };
  }

  let current = null; // the tablet: the survey shown now ({token, number, service})

  async function send(url, body, headers) {
    for (let attempt = 0; ; attempt++) {
      let r = null;
      try {
        r = await fetch(url, { method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers), body: JSON.stringify(body) });
      } catch (e) { r = null; }
      if (r && r.status !== 503) return r;
      $("message").textContent = T.recovering;
      await new Promise((ok) => setTimeout(ok, Math.min(5000, 500 * (attempt + 1))));
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    const { missing, body } = collect();
    if (missing.length) {
      $("message").textContent = T.missing;
      document.querySelector("#q-" + missing[0] + " input").focus();
      return;
    }
    $("send").disabled = true;
    $("message").textContent = T.sending;
    let r;
    if (C.mode === "tablet") {
      body.token = current.token;
      r = await send("/api/v1/counters/" + C.counter_id + "/answers", body, auth());
    } else {
      r = await send("/api/v1/tickets/" + C.ticket_id + "/answers", body, {});
    }
    $("send").disabled = false;
    $("message").textContent = "";
    if (r.status === 201 || r.status === 200) return thanks();
    const problem = await r.json().catch(() => ({}));
    if (C.mode === "tablet" && r.status === 409) { current = null; return poll(); }
    if (r.status === 410) return notice(T.closed);
    $("message").textContent = problem.detail || T.error;
  }

  function thanks() {
    show("thanks");
    $("thanks").focus();
    if (C.mode === "tablet") {
      current = null;
      setTimeout(() => { show("waiting"); poll(); }, 8000);
    }
  }

  // The tablet: its device token comes once in the address (#tablet-token=…), then stays.
  function auth() {
    const m = location.hash.match(/tablet-token=([^&]+)/);
    if (m) { localStorage.setItem("antre-tablet-token", decodeURIComponent(m[1])); history.replaceState(null, "", location.pathname); }
    return { Authorization: "Bearer " + (localStorage.getItem("antre-tablet-token") || "") };
  }
  let polling = null;
  async function poll() {
    clearTimeout(polling);
    if (!$("thanks").hidden) return;
    try {
      const r = await fetch("/api/v1/counters/" + C.counter_id + "/survey", { headers: auth(), cache: "no-store" });
      if (r.status === 401) { notice(T.tablet_token); return; }
      if (r.ok) {
        const s = await r.json();
        if (s.state === "open" && (!current || current.token !== s.token)) {
          current = s;
          $("form-el").reset();
          document.querySelectorAll("fieldset.missing").forEach((f) => f.classList.remove("missing"));
          $("for-ticket").textContent = T.for_ticket.replace("{number}", s.number).replace("{service}", s.service);
          show("form");
          window.scrollTo(0, 0);
        } else if (s.state !== "open" && current) {
          current = null;
          show("waiting");
        } else if (s.state !== "open") show("waiting");
      }
    } catch (e) { /* the next poll tries again */ }
    polling = setTimeout(poll, 2000);
  }

  async function phone() {
    let r;
    try { r = await fetch("/api/v1/tickets/" + C.ticket_id + "/survey", { cache: "no-store" }); } catch (e) { r = null; }
    if (!r || r.status === 503) { notice(T.recovering); setTimeout(phone, 3000); return; }
    if (r.status === 404) return notice(T.not_served);
    const s = await r.json();
    if (s.state === "answered") return notice(T.answered);
    if (s.state === "expired") return notice(T.closed);
    $("for-ticket").textContent = T.for_ticket.replace("{number}", s.number).replace("{service}", s.service + ", " + s.agency);
    show("form");
  }

  build();
  $("form-el").addEventListener("submit", submit);
  $("form-el").addEventListener("change", (ev) => {
    const group = ev.target.closest("fieldset");
    if (group && group.classList.contains("missing")) {
      group.classList.remove("missing");
      if (!document.querySelector("fieldset.missing")) $("message").textContent = "";
    }
  });
  if (C.mode === "tablet") { show("waiting"); poll(); } else phone();
})();
