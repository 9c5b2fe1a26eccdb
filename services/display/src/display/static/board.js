// Hall board: live over Server-Sent Events, each call announced with a chime and an
// Indonesian voice, one announcement after another. No framework, no build step.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("board-config").textContent);
  const T = cfg.texts;
  const HEARTBEAT_GRACE_MS = 15000;  // the server sends a heartbeat every few seconds
  const ANNOUNCE_MAX_AGE_MS = 60000; // calls replayed after a long outage are shown, not spoken
  const $ = (id) => document.getElementById(id);

  const board = window.antreBoard = {
    announcements: [],   // every announcement queued, in order: {text, number, counter, recall,
                         // via, engine, fallback, duration, queuedAt, startedAt, voiceAt, endedAt}
    pending: [],         // still to be played
    playing: null,
    muted: Boolean(cfg.mute),
    lastEventId: null,
    live: false,         // connected: messages arrive
    updatesLive: true,   // the server says its updates reach this board (heartbeat `live`)
    updates: 0,
    snapshots: 0,
    counters: new Map(),
    services: new Map(),
    recent: [],
    clockOffsetMs: 0,
  };

  // ---- rendering -------------------------------------------------------------------------
  $("stale-banner").textContent = T.stale;
  $("now-label").textContent = T.nowCalling;
  $("recent-title").textContent = T.recent;
  $("waiting-title").textContent = T.waiting;
  $("running-text").firstElementChild.textContent = cfg.runningText;

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  function render() {
    const latest = board.recent[0];
    $("now-number").textContent = latest ? latest.number : "—";
    $("now-counter").textContent = latest ? `${T.counter} ${latest.counter_number}` : T.noCall;
    const recent = $("recent");
    recent.replaceChildren(...board.recent.slice(1, 7).map((c) => {
      const li = el("li");
      li.dataset.ticket = c.number;
      li.append(el("span", "num", c.number), el("span", "to", `${T.counter} ${c.counter_number}`));
      return li;
    }));
    const counters = $("counters");
    counters.replaceChildren(...[...board.counters.values()].sort((a, b) => a.number - b.number)
      .map((c) => {
        const tile = el("div", `counter ${c.state}`);
        const t = c.ticket;
        if (t && t.status === "called" && c.state === "open") tile.classList.add("called");
        tile.dataset.counter = c.id;
        let label = c.state === "open" && t ? T.ticketStates[t.status] : T.counterStates[c.state];
        if (c.state === "open" && t && t.status === "next") {
          const next = board.services.get(t.next_service_id);
          label = `${T.ticketStates.next} ${next ? next.name : t.next_service_id}`;
        }
        tile.append(el("div", "name", c.name || `${T.counter} ${c.number}`),
          el("div", "ticket", t && c.state !== "closed" ? t.number : "—"),
          el("div", "state", label || ""));
        return tile;
      }));
    const waiting = $("waiting");
    waiting.replaceChildren(...[...board.services.values()].map((s) => {
      const li = el("li");
      li.dataset.service = s.id;
      li.append(el("span", "svc", `${s.prefix} · ${s.name}`), el("span", "n", String(s.waiting)));
      return li;
    }));
  }

  function applySnapshot(snap) {
    board.counters = new Map(snap.counters.map((c) => [c.id, c]));
    board.services = new Map(snap.services.map((s) => [s.id, s]));
    board.recent = snap.recent;
    board.clockOffsetMs = Date.parse(snap.now) - Date.now();
    board.snapshots += 1;
    render();
  }

  // Newest first; calls of the same millisecond by number, as the display stores them.
  const newestFirst = (a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1)
    : (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));

  function applyUpdate(u) {
    if (u.counter) {
      const known = board.counters.get(u.counter.id) || {};
      board.counters.set(u.counter.id, { ...known, ...u.counter, ticket: u.counter.ticket || null });
    }
    if (u.recent) board.recent = Array.isArray(u.recent) ? u.recent : [];  // a new day: cleared
    for (const [id, n] of Object.entries(u.waiting || {})) {
      const s = board.services.get(id);
      if (s) s.waiting = n;
    }
    if (u.call) {
      // One entry per ticket, known by its number (the board never gets ticket ids).
      board.recent = [u.call, ...board.recent.filter((c) => c.number !== u.call.number)]
        .sort(newestFirst).slice(0, 10);
      const age = Date.now() + board.clockOffsetMs - Date.parse(u.call.at);
      if (board.recent[0] === u.call) {
        $("now").classList.remove("flash");
        void $("now").offsetWidth; // restart the animation
        $("now").classList.add("flash");
      }
      if (age < ANNOUNCE_MAX_AGE_MS) announce(u.call);
      // Hall content (hall.js) listens: a call always takes the screen's focus.
      window.dispatchEvent(new CustomEvent("antre:call", { detail: u.call }));
    }
    board.updates += 1;
    render();
  }

  // ---- announcements: chime, then the voice; never two at once -------------------------------
  // The voice is the display's own audio of the call (espeak-ng or the site's recorded clips),
  // fetched and decoded while earlier announcements and the chime play. The browser's
  // speechSynthesis speaks only when that audio cannot be fetched, decoded or played (small hall
  // PCs often have no Indonesian voice). Each item says how it went: `via` ("audio", "speech" or
  // "none"), `fallback` (why not audio), `duration` (s) and `queuedAt` / `startedAt` / `voiceAt` /
  // `endedAt` (ms since the epoch: the call came, the chime began, the voice began, it ended).
  const VOICE_FETCH_MS = 8000;
  const voices = new WeakMap();  // item → its audio, fetched and decoded: {buffer} or {error}
  let audio = null;
  const context = () => (audio = audio || new AudioContext());

  function announce(call) {
    if (board.muted) return;
    const item = { text: call.announce, number: call.number, counter: call.counter_number,
      recall: call.recall, state: "queued", via: null, engine: null, fallback: null,
      duration: null, queuedAt: Date.now(), startedAt: null, voiceAt: null, endedAt: null };
    board.announcements.push(item);
    board.pending.push(item);
    voices.set(item, loadVoice(call));
    playNext();
  }

  async function playNext() {
    if (board.playing || board.pending.length === 0) return;
    const item = board.playing = board.pending.shift();
    item.state = "playing";
    item.startedAt = Date.now();
    window.dispatchEvent(new CustomEvent("antre:announce", { detail: { playing: true } }));
    try {
      await chime();
      await voice(item);
    } finally {
      item.endedAt = Date.now();
      item.state = "done";
      voices.delete(item);
      board.playing = null;
      window.dispatchEvent(new CustomEvent("antre:announce", { detail: { playing: false } }));
      setTimeout(playNext, 400);
    }
  }

  async function loadVoice(call) {
    const url = `/api/v1/board/voice/${encodeURIComponent(call.number)}/` +
      `${encodeURIComponent(call.counter_number)}.wav`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(VOICE_FETCH_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const engine = response.headers.get("X-Antre-Voice");
      return { buffer: await context().decodeAudioData(await response.arrayBuffer()), engine };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  }

  async function voice(item) {
    const loaded = await voices.get(item);
    if (loaded.buffer) {
      try {
        await play(item, loaded.buffer, loaded.engine);
        return;
      } catch (e) {
        item.fallback = `${e.name}: ${e.message}`;
      }
    } else {
      item.fallback = loaded.error;
    }
    await speak(item);
  }

  function play(item, buffer, engine) {
    return new Promise((resolve) => {
      // Suspended: sound is not allowed yet (no touch, no autoplay flag); the browser's voice
      // may still be.
      if (audio.state !== "running") throw new Error(`audio ${audio.state}`);
      const source = audio.createBufferSource();
      source.buffer = buffer;
      source.connect(audio.destination);
      // Never let the queue stall on an `ended` that does not come.
      const limit = setTimeout(() => source.onended(), buffer.duration * 1000 + 2000);
      source.onended = () => { clearTimeout(limit); source.onended = null; resolve(); };
      item.via = "audio";
      item.engine = engine;
      item.duration = buffer.duration;
      item.voiceAt = Date.now();
      source.start();
    });
  }

  function chime() {
    return new Promise((resolve) => {
      try {
        context();
        if (audio.state === "suspended") {
          audio.resume().catch(() => {});
          $("sound-hint").textContent = T.enableSound;
          $("sound-hint").hidden = audio.state !== "suspended";
        }
        const t0 = audio.currentTime + 0.05;
        [[659.3, 0], [523.3, 0.55]].forEach(([freq, at]) => {
          const osc = audio.createOscillator();
          const gain = audio.createGain();
          osc.type = "sine";
          osc.frequency.value = freq;
          gain.gain.setValueAtTime(0.0001, t0 + at);
          gain.gain.exponentialRampToValueAtTime(0.6, t0 + at + 0.03);
          gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.9);
          osc.connect(gain).connect(audio.destination);
          osc.start(t0 + at);
          osc.stop(t0 + at + 1.0);
        });
      } catch (e) { /* no audio device: the voice and the screen still work */ }
      setTimeout(resolve, 1500);
    });
  }

  function speak(item) {
    return new Promise((resolve) => {
      const text = item.text;
      // Some engines never fire `end` (or have no voice at all): never let the queue stall.
      const limit = setTimeout(resolve, 2000 + text.length * 90);
      const done = () => { clearTimeout(limit); resolve(); };
      item.voiceAt = Date.now();
      if (!("speechSynthesis" in window)) {
        item.via = "none";
        return;
      }
      item.via = "speech";
      const u = new SpeechSynthesisUtterance(text);
      u.lang = "id-ID";
      const voice = speechSynthesis.getVoices()
        .find((v) => v.lang.replace("_", "-").toLowerCase().startsWith("id"));
      if (voice) u.voice = voice;
      u.rate = 0.9;
      u.onend = done;
      u.onerror = done;
      speechSynthesis.speak(u);
    });
  }

  document.addEventListener("click", () => {
    if (audio) audio.resume();
    $("sound-hint").hidden = true;
  });

  // ---- connection: live, stale, reconnect and catch up -----------------------------------
  let source = null;
  let lastMessageAt = 0;
  // After a refusal (503: the display is full of boards, or cannot read Redis) the browser
  // gives up and we retry: 1 s, doubling to 30 s, spread so refused boards do not return
  // together. An EventSource cannot read the answer's Retry-After.
  let retryMs = 1000;

  // Stale: the connection is lost, or it stands but the server cannot read the updates
  // (heartbeats still come): either way the board dims and says so.
  function setLive(live, updatesLive = board.updatesLive) {
    board.live = live;
    board.updatesLive = updatesLive;
    $("stale-banner").textContent = live ? T.notLive : T.stale;
    document.body.classList.toggle("stale", !live || !updatesLive);
  }

  function connect() {
    if (source) source.close();
    const params = new URLSearchParams(cfg.query);
    // A fresh EventSource cannot set Last-Event-ID itself; the query says where to resume.
    if (board.lastEventId) params.set("resume", board.lastEventId);
    const qs = params.toString();
    source = new EventSource("/api/v1/board/stream" + (qs ? "?" + qs : ""));
    const seen = (e) => {
      lastMessageAt = Date.now();
      retryMs = 1000;
      if (e.lastEventId) board.lastEventId = e.lastEventId;
      setLive(true);
    };
    source.addEventListener("snapshot", (e) => { applySnapshot(JSON.parse(e.data)); seen(e); });
    source.addEventListener("update", (e) => { applyUpdate(JSON.parse(e.data)); seen(e); });
    source.addEventListener("heartbeat", (e) => {
      const beat = JSON.parse(e.data);
      board.clockOffsetMs = Date.parse(beat.now) - Date.now();
      seen(e);
      setLive(true, beat.live !== false);
    });
    source.onerror = () => {
      setLive(false);
      // The browser retries by itself (sending Last-Event-ID) unless it gave up for good.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, retryMs * (0.5 + Math.random()));
        retryMs = Math.min(retryMs * 2, 30000);
      }
    };
  }

  setInterval(() => {
    if (board.live && Date.now() - lastMessageAt > HEARTBEAT_GRACE_MS) {
      setLive(false);  // a silent connection is a dead one: start over, resuming
      connect();
    }
  }, 1000);

  // ---- clock in the site's time zone ------------------------------------------------------
  const dateFmt = new Intl.DateTimeFormat("id-ID", { timeZone: cfg.timezone, weekday: "long",
    day: "numeric", month: "long", year: "numeric" });
  const timeFmt = new Intl.DateTimeFormat("id-ID", { timeZone: cfg.timezone, hour: "2-digit",
    minute: "2-digit", second: "2-digit", hour12: false });
  function tick() {
    const now = new Date(Date.now() + board.clockOffsetMs);
    $("clock-date").textContent = dateFmt.format(now);
    $("clock-time").textContent = `${timeFmt.format(now)} ${cfg.timezoneLabel}`;
  }
  tick();
  setInterval(tick, 1000);
  render();
  connect();
})();
