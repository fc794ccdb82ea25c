/*
 * Inbox: the messages of one address. The list is read once (GET /api/mail/inbox/{address}),
 * then new mail arrives on an event stream (Server-Sent Events, GET .../events): the page
 * never asks the list again on a timer. EventSource sends the session cookie, and resumes
 * with Last-Event-ID when the server ends a stream (every few minutes) or the network drops;
 * "after" carries the newest id the list showed, so nothing falls between list and stream.
 * A stream the server refused (401, 404, 429, 503: EventSource gives up on those) is opened
 * again after a pause that grows; the stream is closed while the tab is hidden.
 *
 * An HTML body is shown ONLY through iframe.srcdoc in an <iframe sandbox=""> (no scripts,
 * no forms, a unique origin, no top navigation): hostile mail cannot reach this page,
 * its cookie or its CSRF token. Everything else from a message is set as text.
 */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h;
  const RETRY_MIN_MS = 2000, RETRY_MAX_MS = 60000;

  let address = null, messages = [], seen = new Set(), firstLoad = true, current = null;
  let stream = null, retryTimer = null, retryMs = RETRY_MIN_MS, loading = false;

  /* ---- addresses ---- */
  async function loadAddresses() {
    const select = TM.$("#address");
    let boxes = [];
    try {
      boxes = (await TM.api("GET", "/api/mail/list?page=1&per_page=100")).data.emails;
    } catch (err) {
      TM.fail("#message", err);
      return;
    }
    const wanted = (TM.param("address") || "").toLowerCase();
    if (wanted && !boxes.some((b) => b.email_address === wanted)) boxes.unshift({ email_address: wanted });
    if (!boxes.length) {
      select.disabled = true;
      const box = TM.$("#message");
      TM.show(box, "info", "You have no address yet. ");
      box.append(h("a", { href: "/addresses.html" }, "Generate one"), " and come back: its mail shows up here.");
      return;
    }
    select.replaceChildren(...boxes.map((b) => h("option", { value: b.email_address }, b.email_address)));
    select.value = wanted || boxes[0].email_address;
    choose(select.value);
  }

  function choose(a) {
    address = a;
    messages = [];
    seen = new Set();
    firstLoad = true;
    closeMessage();
    TM.$("#messages").replaceChildren();
    history.replaceState(null, "", "?address=" + encodeURIComponent(a));
    closeStream();
    load(true);
  }

  /* ---- the list, read once (and on "Check now" or a deletion) ---- */
  async function load(thenListen) {
    if (!address || loading) return;
    loading = true;
    const a = address;
    try {
      const r = await TM.api("GET", "/api/mail/inbox/" + encodeURIComponent(a));
      if (a !== address) return;
      TM.show("#message", "", "");
      render(r.data.emails);
      if (thenListen) listen();
    } catch (err) {
      if (err.status === 404) TM.show("#message", "error", "This address does not exist (any more) in your account.");
      else TM.fail("#message", err);
      if (thenListen && err.status !== 404) later();
    } finally {
      loading = false;
    }
  }

  /* ---- new mail, pushed ---- */
  function newestId() {
    return messages.reduce((max, m) => Math.max(max, Number(m.id) || 0), 0);
  }

  function status(text) {
    TM.$("#poll-status").textContent = text;
  }

  function closeStream() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stream) stream.close();
    stream = null;
  }

  function listen() {
    closeStream();
    if (!address || document.hidden) return;
    const a = address;
    const es = new EventSource("/api/mail/inbox/" + encodeURIComponent(a) + "/events?after=" + newestId());
    stream = es;
    es.addEventListener("open", () => {
      retryMs = RETRY_MIN_MS;
      status("Live: new mail appears here as it arrives.");
    });
    es.addEventListener("message", (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (a !== address || seen.has(m.id)) return;
      render([m].concat(messages));
    });
    es.addEventListener("error", () => {
      if (es !== stream) return;
      if (es.readyState === EventSource.CLOSED) later();     /* refused: EventSource gave up */
      else status("Reconnecting…");                            /* it retries by itself */
    });
  }

  /* The server refused the stream: say why if it says, and try again after a growing pause. */
  function later() {
    closeStream();
    status("Live updates interrupted; retrying in " + Math.round(retryMs / 1000) + " s.");
    retryTimer = setTimeout(listen, retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  }

  /* ---- the list ---- */
  function render(list) {
    const ul = TM.$("#messages");
    const fresh = list.filter((m) => !seen.has(m.id));
    messages = list;
    ul.replaceChildren(...list.map((m) => {
      const b = h("button", { type: "button", "aria-current": current && current.id === m.id ? "true" : null, "data-id": m.id },
        h("span", { class: "from", title: m.from || "" }, m.from_name || m.from || "(no sender)"),
        h("span", { class: "subject" }, m.subject || "(no subject)"),
        h("span", { class: "when" }, TM.when(m.received_at)));
      b.addEventListener("click", () => openMessage(m));
      return h("li", { class: !firstLoad && fresh.includes(m) ? "new" : null }, b);
    }));
    list.forEach((m) => seen.add(m.id));
    TM.$("#empty").hidden = list.length > 0;
    TM.$("#count").textContent = "(" + list.length + ")";
    if (!firstLoad && fresh.length) document.title = "(" + fresh.length + " new) Inbox · tempmail";
    firstLoad = false;
    if (current && !list.some((m) => m.id === current.id)) closeMessage();
  }

  /* ---- one message ---- */
  function closeMessage() {
    current = null;
    TM.$("#reader-body").hidden = true;
    TM.$("#reader-empty").hidden = false;
    mountFrame(null);
  }

  /*
   * The one way HTML from a message reaches the page: srcdoc of a new <iframe sandbox="">.
   * A new frame each time, made while its panel is shown: Chromium does not paint a
   * sandboxed frame whose document was loaded while it was display:none.
   */
  function mountFrame(html) {
    const frame = h("iframe", { id: "m-html", class: "mail-frame", sandbox: "", title: "HTML body of the message",
      referrerpolicy: "no-referrer" });
    if (html !== null) frame.srcdoc = html || "<p style=\"font-family:sans-serif;color:#666\">This message has no HTML part.</p>";
    TM.$("#m-html").replaceWith(frame);
  }

  function selectTab(id) {
    for (const t of document.querySelectorAll('[role="tab"]')) {
      const on = t.id === id;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      TM.$("#" + t.getAttribute("aria-controls")).hidden = !on;
    }
    if (id === "tab-raw") loadRaw();
    if (id === "tab-html" && current) mountFrame(current.html);
  }

  async function openMessage(m) {
    current = m;
    document.title = "Inbox · tempmail";
    for (const b of document.querySelectorAll("#messages button")) b.setAttribute("aria-current", b.dataset.id == m.id ? "true" : "false");
    TM.$("#reader-empty").hidden = true;
    TM.$("#reader-body").hidden = false;
    TM.$("#m-subject").textContent = m.subject || "(no subject)";
    TM.$("#m-from").textContent = m.from_name ? `${m.from_name} <${m.from}>` : m.from || "";
    TM.$("#m-to").textContent = address;
    TM.$("#m-when").textContent = TM.when(m.received_at);
    TM.$("#m-text").textContent = m.body || "(This message has no text part.)";
    TM.$("#m-raw").textContent = "";
    TM.$("#m-raw").dataset.loaded = "";
    TM.$("#m-raw-link").href = "/api/messages/" + m.id + "/raw";
    TM.$("#tab-att").textContent = "Attachments";
    TM.$("#m-atts").replaceChildren(h("li", { class: "muted" }, "Loading…"));
    const del = TM.confirmButton("Delete message", async (b) => {
      b.disabled = true;
      try {
        await TM.api("DELETE", "/api/messages/" + m.id);
        closeMessage();
        load(false);
      } catch (err) { TM.fail("#message", err); b.disabled = false; }
    });
    TM.$("#delete-slot").replaceChildren(del);
    selectTab(m.html ? "tab-html" : "tab-text");
    loadAttachments(m);
  }

  async function loadAttachments(m) {
    const ul = TM.$("#m-atts");
    try {
      const atts = (await TM.api("GET", "/api/messages/" + m.id + "/attachments")).data.attachments;
      if (current !== m) return;
      TM.$("#tab-att").textContent = "Attachments (" + atts.length + ")";
      ul.replaceChildren(...atts.map((a) => h("li", {},
        h("a", { href: a.url, download: a.filename || "attachment" }, a.filename || "(unnamed)"),
        " ", h("span", { class: "muted small" }, a.content_type + ", " + size(a.size)))));
      if (!atts.length) ul.append(h("li", { class: "muted" }, "No attachments."));
    } catch (err) {
      ul.replaceChildren(h("li", { class: "muted" }, err.message));
    }
  }

  async function loadRaw() {
    const pre = TM.$("#m-raw"), m = current;
    if (!m || pre.dataset.loaded) return;
    pre.textContent = "Loading…";
    try {
      const res = await fetch("/api/messages/" + m.id + "/raw", { credentials: "same-origin" });
      const text = await res.text();
      if (current !== m) return;
      pre.textContent = res.ok ? text : "Could not load the source (" + res.status + ").";
      pre.dataset.loaded = res.ok ? "1" : "";
    } catch (err) {
      pre.textContent = "The service could not be reached.";
    }
  }

  function size(n) {
    return n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";
  }

  /* ---- wiring ---- */
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const t of tabs) {
    t.addEventListener("click", () => selectTab(t.id));
    t.addEventListener("keydown", (ev) => {
      const i = tabs.indexOf(t);
      const j = ev.key === "ArrowRight" ? (i + 1) % tabs.length : ev.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
      if (j >= 0) { ev.preventDefault(); tabs[j].focus(); selectTab(tabs[j].id); }
    });
  }
  TM.$("#address").addEventListener("change", (ev) => choose(ev.target.value));
  TM.$("#refresh").addEventListener("click", () => load(false));
  TM.$("#copy-address").addEventListener("click", (ev) => address && TM.copy(address, ev.currentTarget));
  document.addEventListener("visibilitychange", () => { if (document.hidden) closeStream(); else if (address && !stream) listen(); });
  loadAddresses();
})();
