/*
 * tempmail — what every page shares: the header, calls to the JSON API, small DOM helpers.
 *
 * Security: the session cookie is HttpOnly, so scripts never see it. The CSRF token the
 * log-in and sign-up answers carry is kept in sessionStorage (this tab only) and sent as
 * X-CSRF-Token on every request that changes something. Text from the API is put into
 * the page with textContent only, never as HTML.
 */
"use strict";

const TM = (function () {
  const CSRF = "tm_csrf", USER = "tm_user";

  /* h("a", {href: "/x", class: "b"}, "text", child...) builds an element; strings become text. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function $(sel, root) { return (root || document).querySelector(sel); }

  class ApiError extends Error {
    constructor(message, status, data) { super(message); this.status = status; this.data = data; }
  }

  /* Call the API as the logged-in person; resolves to {status, data, headers} or throws ApiError. */
  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign({ "Accept": "application/json" }, extraHeaders || {});
    const opts = { method, headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") {
      const csrf = sessionStorage.getItem(CSRF);
      if (csrf && !headers["X-API-Key"]) headers["X-CSRF-Token"] = csrf;
      headers["Content-Type"] = "application/json";
      opts.body = body === undefined ? "{}" : JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError("The service could not be reached. Check your connection and try again.", 0, null);
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      let msg = (data && (data.error || data.message)) || ("The server answered " + res.status + ".");
      if (res.status === 429) {
        const wait = Number(res.headers.get("Retry-After"));
        msg = "Too many requests this hour" + (wait ? ": try again in " + Math.ceil(wait / 60) + " min." : ".");
      } else if (res.status === 403 && /CSRF/.test(msg)) {
        msg = "This tab lost its security token. Log in again to continue.";
      }
      throw new ApiError(msg, res.status, data);
    }
    return { status: res.status, data, headers: res.headers };
  }

  function loginUrl() {
    return "/login.html?next=" + encodeURIComponent(location.pathname + location.search);
  }

  /* Errors of a page call: a lost session sends to the log-in page; others go into box. */
  function fail(box, err) {
    if (err && err.status === 401) {
      forget();
      location.assign(loginUrl());
      return;
    }
    show(box, "error", err && err.message ? err.message : String(err));
  }

  /* Put a message into a notice box: kind is error, ok, info or warn; "" empties it. */
  function show(box, kind, text) {
    if (typeof box === "string") box = $(box);
    if (!box) return;
    box.className = "notice " + (kind || "");
    box.textContent = text || "";
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function user() {
    try { return JSON.parse(sessionStorage.getItem(USER) || "null"); } catch (e) { return null; }
  }
  function remember(csrf, u) {
    if (csrf) sessionStorage.setItem(CSRF, csrf);
    if (u) sessionStorage.setItem(USER, JSON.stringify(u));
  }
  function forget() {
    sessionStorage.removeItem(CSRF);
    sessionStorage.removeItem(USER);
  }

  async function logout() {
    try { await api("POST", "/api/account/logout"); } catch (e) { /* gone already */ }
    forget();
    location.assign("/login.html?out=1");
  }

  /* The header: brand, the pages, who is logged in. */
  function header() {
    const u = user();
    const here = location.pathname === "/" ? "/index.html" : location.pathname;
    const link = (href, text) => h("a", { href, "aria-current": here === href ? "page" : null }, text);
    const right = h("span", { class: "right" });
    if (u) {
      right.append(h("span", { class: "who", text: u.email || "" }),
        h("button", { type: "button", class: "linklike", id: "logout", onclick: logout }, "Log out"));
    } else {
      right.append(link("/login.html", "Log in"), link("/register.html", "Sign up"));
    }
    const nav = h("nav", { class: "site-nav", "aria-label": "Main" },
      u ? [link("/inbox.html", "Inbox"), link("/addresses.html", "Addresses"), link("/domains.html", "Domains"),
           link("/webhooks.html", "Webhooks"), link("/profile.html", "Profile")] : [],
      link("/free-key.html", "Free key"), link("/docs.html", "API docs"),
      u && u.is_admin ? link("/admin.html", "Admin") : null,
      right);
    const bar = h("div", { class: "bar" },
      h("a", { class: "brand", href: "/" }, "temp", h("span", {}, "mail")), nav);
    const el = h("header", { class: "site-header" }, bar);
    document.body.prepend(h("a", { class: "skip", href: "#main" }, "Skip to content"), el);
    document.body.append(h("footer", { class: "site-footer" },
      "tempmail — disposable addresses for testing and privacy. Messages expire on their own."));
  }

  /* A page for logged-in people: without a known session, go and log in first. */
  function requireLogin() {
    if (!user()) {
      location.replace(loginUrl());
      return false;
    }
    return true;
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      if (button) { const old = button.textContent; button.textContent = "Copied"; setTimeout(() => { button.textContent = old; }, 1500); }
    } catch (e) {
      /* Clipboard refused (insecure origin): select the text instead so Ctrl+C works. */
      if (button) button.textContent = "Select and press Ctrl+C";
    }
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function param(name) { return new URLSearchParams(location.search).get(name); }

  /* A button that asks once more before it acts (no modal dialogs: keyboard and tests friendly). */
  function confirmButton(label, onConfirm) {
    let timer = null;
    const b = h("button", { type: "button", class: "danger small" }, label);
    b.addEventListener("click", () => {
      if (!b.classList.contains("armed")) {
        b.classList.add("armed");
        b.textContent = "Click again to confirm";
        timer = setTimeout(() => { b.classList.remove("armed"); b.textContent = label; }, 4000);
        return;
      }
      clearTimeout(timer);
      b.classList.remove("armed");
      b.textContent = label;
      onConfirm(b);
    });
    return b;
  }

  document.addEventListener("DOMContentLoaded", header);

  return { h, $, api, ApiError, fail, show, user, remember, forget, logout, requireLogin, copy, when, param, confirmButton, loginUrl };
})();
