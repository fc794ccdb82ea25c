/*
 * Inbox: the messages of one address, refreshed by polling GET /api/mail/inbox/{address}.
 *
 * Polling spends the account's hourly request budget (the X-RateLimit-* headers say how
 * much is left), so it is quick for a while after the page opens or "Check now", then
 * spreads what is left over the rest of the hour, and stops while the tab is hidden.
 *
 * An HTML body is shown ONLY through iframe.srcdoc in an <iframe sandbox=""> (no scripts,
 * no forms, a unique origin, no top navigation): hostile mail cannot reach this page,
 * its cookie or its CSRF token. Everything else from a message is set as text.
 */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h;
  const FAST_MS = 3000, SLOWEST_MS = 60000, FAST_POLLS = 40, RESERVE = 10;

  let address = null, messages = [], seen = new Set(), firstLoad = true, current = null;
  let timer = null, fastLeft = FAST_POLLS, remaining = null, reset = null, polling = false;

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
    fastLeft = FAST_POLLS;
    poll();
  }

  /* ---- polling ---- */
  function delay() {
    if (remaining === null || reset === null) return FAST_MS;
    const untilReset = Math.max(1000, reset * 1000 - Date.now());
    const spare = remaining - RESERVE;
    if (spare <= 0) return untilReset + 1000;
    if (fastLeft > 0 && remaining > 2 * RESERVE) { fastLeft--; return FAST_MS; }
    return Math.min(Math.max(FAST_MS, untilReset / spare), SLOWEST_MS);
  }

  function schedule() {
    clearTimeout(timer);
    if (document.hidden || !address) return;
    const ms = delay();
    const status = TM.$("#poll-status");
    if (remaining !== null && remaining - RESERVE <= 0)
      status.textContent = "Auto-refresh paused: this hour's request limit is nearly used. It resumes at " + new Date(reset * 1000).toLocaleTimeString() + ".";
    else
      status.textContent = "Checking for new mail every " + Math.round(ms / 1000) + " s" +
        (remaining !== null ? " · " + remaining + " requests left this hour" : "") + ".";
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    if (!address || polling) return;
    polling = true;
    clearTimeout(timer);
    try {
      const r = await TM.api("GET", "/api/mail/inbox/" + encodeURIComponent(address));
      remaining = Number(r.headers.get("X-RateLimit-Remaining"));
      reset = Number(r.headers.get("X-RateLimit-Reset"));
      if (!Number.isFinite(remaining) || !Number.isFinite(reset) || !r.headers.get("X-RateLimit-Reset")) remaining = reset = null;
      TM.show("#message", "", "");
      render(r.data.emails);
    } catch (err) {
      if (err.status === 429) {
        remaining = 0;
        reset = Date.now() / 1000 + (Number(err.data && err.data.retry_after) || 300);
      }
      if (err.status === 404) TM.show("#message", "error", "This address does not exist (any more) in your account.");
      else TM.fail("#message", err);
    }
    polling = false;
    schedule();
  }

  /* ---- the list ---- */
  function render(list) {
    const ul = TM.$("#messages");
    const fresh = list.filter((m) => !seen.has(m.id));
    messages = list;
    ul.replaceChildren(...list.map((m) => {
      const b = h("button", { type: "button", "aria-current": current && current.id === m.id ? "true" : null, "data-id": m.id },
        h("span", { class: "from" }, m.from || "(no sender)"),
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
    TM.$("#m-from").textContent = m.from || "";
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
        poll();
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
  TM.$("#refresh").addEventListener("click", () => { fastLeft = FAST_POLLS; poll(); });
  TM.$("#copy-address").addEventListener("click", (ev) => address && TM.copy(address, ev.currentTarget));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); else clearTimeout(timer); });
  loadAddresses();
})();
