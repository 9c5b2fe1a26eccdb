// Hall content beside the calls: a silent media loop, messages in rotation and the persyaratan
// of the board's services, from the site's hall file (the page's config, `hall`). A call always
// takes the screen: board.js tells of each call ("antre:call") and of each announcement
// ("antre:announce", {playing}); the call's panel then covers the content, the loop pauses, and
// both come back `focusSeconds` after the last announcement ends. No framework, no build step.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("board-config").textContent);
  const H = cfg.hall || { messages: [], media: [], requirements: [] };
  const T = cfg.texts;
  const $ = (id) => document.getElementById(id);
  const MIN_RELEASE_MS = 1000;   // between two queued announcements the focus never flickers
  const UNSPOKEN_CALL_MS = 9000; // a call not announced (muted board, old call): about one voice

  const hall = window.antreHall = {
    focus: false,          // a call has the screen
    calls: 0,              // calls seen
    messageIndex: -1, messagesShown: 0,
    mediaIndex: -1, mediaShown: 0,
    requirementIndex: -1, requirementsShown: 0,
  };
  const body = document.body;
  const content = H.messages.length > 0 || H.media.length > 0;
  body.classList.toggle("hall-on", content);
  body.classList.toggle("has-requirements", H.requirements.length > 0);
  $("hall").hidden = !content;
  $("hall").classList.toggle("no-media", H.media.length === 0);
  $("hall").classList.toggle("no-messages", H.messages.length === 0);

  // Shrink a box's text until it fits (a long message, a service with many documents).
  function fit(box, inner, max, min) {
    let size = max;
    inner.style.fontSize = `${size}px`;
    while (size > min && box.scrollHeight > box.clientHeight + 1) {
      size -= 2;
      inner.style.fontSize = `${size}px`;
    }
  }

  function replay(node) {
    node.classList.remove("enter");
    void node.offsetWidth; // restart the animation
    node.classList.add("enter");
  }

  // ---- messages: one card, each message in turn; held while a call has the screen ----------
  function nextMessage() {
    if (hall.focus && hall.messagesShown > 0) return;
    hall.messageIndex = (hall.messageIndex + 1) % H.messages.length;
    hall.messagesShown += 1;
    const card = $("hall-message");
    card.firstElementChild.textContent = H.messages[hall.messageIndex];
    fit(card, card.firstElementChild, 38, 22);
    replay(card);
  }

  // ---- media: videos play to their end without sound, images stay slideSeconds -------------
  let slideTimer = null;
  let current = null;

  function nextMedia() {
    clearTimeout(slideTimer);
    hall.mediaIndex = (hall.mediaIndex + 1) % H.media.length;
    hall.mediaShown += 1;
    const item = H.media[hall.mediaIndex];
    let node;
    if (item.kind === "video") {
      node = document.createElement("video");
      Object.assign(node, { muted: true, playsInline: true, preload: "auto", src: item.url });
      node.setAttribute("muted", "");
      node.loop = H.media.length === 1;
      node.onended = nextMedia;
      node.onerror = () => { slideTimer = setTimeout(nextMedia, H.slideSeconds * 1000); };
      if (!hall.focus) node.play().catch(() => {});
    } else {
      node = document.createElement("img");
      node.alt = "";
      node.src = item.url;
      slideTimer = setTimeout(slideDone, H.slideSeconds * 1000);
    }
    $("hall-media").replaceChildren(node);
    current = node;
  }

  function slideDone() {
    // An image's turn ends only while it can be seen; under a call it waits.
    if (hall.focus) slideTimer = setTimeout(slideDone, 1000);
    else if (H.media.length > 1) nextMedia();
  }

  // ---- persyaratan: the board's services in turn, under the waiting counts -----------------
  function nextRequirement() {
    hall.requirementIndex = (hall.requirementIndex + 1) % H.requirements.length;
    hall.requirementsShown += 1;
    const r = H.requirements[hall.requirementIndex];
    const prefix = document.createElement("span");
    prefix.className = "prefix";
    prefix.textContent = r.prefix;
    const head = $("requirements-service");
    head.replaceChildren(prefix, document.createTextNode(r.name));
    head.dataset.service = r.id;
    $("requirements-documents").replaceChildren(...r.documents.map((d) => {
      const li = document.createElement("li");
      li.textContent = d;
      return li;
    }));
    fit($("requirements-documents"), $("requirements-documents"), 26, 16);
    replay($("requirements"));
  }

  // ---- a call takes the screen -------------------------------------------------------------
  let speaking = false;
  let releaseTimer = null;

  function takeFocus() {
    clearTimeout(releaseTimer);
    if (hall.focus) return;
    hall.focus = true;
    body.classList.add("hall-call");
    if (current && current.tagName === "VIDEO") current.pause();
  }

  function releaseAfter(ms) {
    clearTimeout(releaseTimer);
    releaseTimer = setTimeout(() => {
      if (speaking) return;
      hall.focus = false;
      body.classList.remove("hall-call");
      if (current && current.tagName === "VIDEO") current.play().catch(() => {});
    }, Math.max(ms, MIN_RELEASE_MS));
  }

  window.addEventListener("antre:call", () => {
    hall.calls += 1;
    takeFocus();
    // board.js starts the call's announcement (or queues it) before telling of the call.
    if (!speaking) releaseAfter(UNSPOKEN_CALL_MS + H.focusSeconds * 1000);
  });
  window.addEventListener("antre:announce", (e) => {
    speaking = Boolean(e.detail && e.detail.playing);
    if (speaking) takeFocus();
    else if (hall.focus) releaseAfter(H.focusSeconds * 1000);
  });

  // No call yet: the compact band says only that (board.js writes "—" as the number).
  const noCall = () => $("now").classList.toggle("none", $("now-number").textContent === "—");
  new MutationObserver(noCall).observe($("now-number"), { childList: true, characterData: true });
  noCall();
  // A board of a few services (a zone) lists them one a line, in full; the whole hall in two.
  const few = () => body.classList.toggle("few-services", $("waiting").children.length <= 6);
  new MutationObserver(few).observe($("waiting"), { childList: true });
  few();

  // ---- start ---------------------------------------------------------------------------------
  $("requirements-title").textContent = T.requirements;
  $("requirements").hidden = H.requirements.length === 0;
  if (H.messages.length) {
    nextMessage();
    setInterval(nextMessage, H.messageSeconds * 1000);
  }
  if (H.media.length) nextMedia();
  if (H.requirements.length) {
    nextRequirement();
    setInterval(nextRequirement, H.messageSeconds * 1000);
  }
})();
