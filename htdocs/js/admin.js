/*
 * The operator's console: counts, users (tier, top-up, disable), system domains (the
 * /api/admin/ routes, for accounts with is_admin), and API keys through the master-key
 * routes of /api/v1/admin/keys. The master key lives in a variable of this page only:
 * never in storage, gone on reload.
 */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h, PER_PAGE = 20, KEYS_SHOWN = 50;
  let page = 1, query = "", masterKey = null;

  /* ---- counts ---- */
  async function loadStats() {
    const r = await TM.api("GET", "/api/admin/stats");
    const s = r.data;
    const stat = (label, value) => h("div", { class: "card stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, String(value)));
    TM.$("#stats").replaceChildren(
      stat("Accounts", s.accounts + (s.accounts_disabled ? " (" + s.accounts_disabled + " disabled)" : "")),
      stat("Addresses", s.mailboxes),
      stat("Messages stored", s.messages),
      stat("Messages, last hour", s.messages_last_hour),
      stat("Messages, last 24 h", s.messages_last_day),
      stat("Attachments", s.attachments),
      stat("Domains", s.system_domains + " system · " + s.custom_domains + " custom"),
      stat("Live API keys", s.live_keys));
  }

  /* ---- users ---- */
  function userRow(u) {
    const name = u.email || "key-only account #" + u.id;
    const tier = h("select", { "aria-label": "Tier of " + name },
      h("option", { value: "free", selected: u.tier === "free" }, "free"),
      h("option", { value: "pro", selected: u.tier === "pro" }, "pro"));
    tier.addEventListener("change", async () => {
      try {
        await TM.api("POST", "/api/admin/users/" + u.id + "/tier", { tier: tier.value });
        TM.show("#users-message", "ok", name + " is now on the " + tier.value + " tier.");
      } catch (err) { TM.fail("#users-message", err); tier.value = u.tier; }
    });
    const balance = h("span", { class: "mono", "data-balance": u.id }, String(u.balance));
    const amount = h("input", { type: "text", inputmode: "decimal", placeholder: "5.00", size: 6, "aria-label": "Amount to add to the balance of " + name });
    const topup = h("button", { type: "button", class: "secondary small", "aria-label": "Top up " + name }, "Add");
    topup.addEventListener("click", async () => {
      const value = amount.value.trim();
      if (!/^\d+(\.\d{1,6})?$/.test(value) || Number(value) <= 0) {
        TM.show("#users-message", "error", "Enter a positive amount, like 5 or 2.50.");
        amount.setAttribute("aria-invalid", "true");
        amount.focus();
        return;
      }
      amount.removeAttribute("aria-invalid");
      topup.disabled = true;
      try {
        const r = await TM.api("POST", "/api/admin/users/" + u.id + "/topup", { amount: value });
        balance.textContent = String(r.data.balance);
        amount.value = "";
        TM.show("#users-message", "ok", "Added " + value + " to " + name + ": the balance is now " + r.data.balance + ".");
      } catch (err) { TM.fail("#users-message", err); }
      topup.disabled = false;
    });
    const state = h("span", { class: "badge " + (u.disabled ? "disabled" : "active") }, u.disabled ? "disabled" : "active");
    const toggle = h("button", { type: "button", class: u.disabled ? "secondary small" : "danger small", "aria-label": (u.disabled ? "Enable " : "Disable ") + name }, u.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", async () => {
      toggle.disabled = true;
      try {
        const r = await TM.api("POST", "/api/admin/users/" + u.id + "/disable", { disabled: !u.disabled });
        TM.show("#users-message", "ok", r.data.message + ": " + name + ".");
        loadUsers();
        loadStats().catch(() => {});
      } catch (err) { TM.fail("#users-message", err); toggle.disabled = false; }
    });
    return h("tr", { "data-user": u.email || u.id },
      h("td", {}, h("span", { class: u.email ? "" : "muted" }, name), u.is_admin ? [" ", h("span", { class: "badge pro" }, "admin")] : null,
        h("div", { class: "small muted" }, "key " + (u.api_key_prefix ? u.api_key_prefix + "…" : "none") + " · since " + TM.when(u.created_at))),
      h("td", {}, tier),
      h("td", {}, balance),
      h("td", { class: "actions" }, amount, " ", topup),
      h("td", { class: "small" }, u.mailboxes + " addresses", h("br"), u.messages + " messages"),
      h("td", { class: "actions" }, state, " ", toggle));
  }

  /* The answer of the latest request only: a search sent while the first list was on its way
     must not be replaced by that list (nor what a person typed into its rows). */
  let usersAsked = 0;
  async function loadUsers() {
    const asked = ++usersAsked;
    TM.$("#users").setAttribute("aria-busy", "true");
    try {
      const r = await TM.api("GET", "/api/admin/users?page=" + page + "&per_page=" + PER_PAGE + (query ? "&q=" + encodeURIComponent(query) : ""));
      if (asked !== usersAsked) return;
      TM.$("#users").setAttribute("aria-busy", "false");
      const pages = Math.max(1, Math.ceil(r.data.total / PER_PAGE));
      TM.$("#users").replaceChildren(...r.data.users.map(userRow));
      if (!r.data.users.length) TM.$("#users").append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No account matches.")));
      TM.$("#users-page").textContent = "Page " + page + " of " + pages + " · " + r.data.total + " accounts";
      TM.$("#users-prev").disabled = page <= 1;
      TM.$("#users-next").disabled = page >= pages;
    } catch (err) {
      if (asked !== usersAsked) return;
      TM.$("#users").setAttribute("aria-busy", "false");
      TM.fail("#users-message", err);
    }
  }

  /* ---- system domains ---- */
  async function loadDomains() {
    try {
      const r = await TM.api("GET", "/api/admin/domains");
      TM.$("#system-domains").replaceChildren(...r.data.domains.map((d) => {
        const next = d.status === "active" ? "disabled" : "active";
        const b = h("button", { type: "button", class: next === "disabled" ? "danger small" : "secondary small" }, next === "disabled" ? "Disable" : "Enable");
        b.setAttribute("aria-label", (next === "disabled" ? "Disable " : "Enable ") + d.domain_name);
        b.addEventListener("click", async () => {
          b.disabled = true;
          try {
            const res = await TM.api("POST", "/api/admin/domains/" + d.id + "/status", { status: next });
            TM.show("#domains-message", "ok", res.data.message + ": " + d.domain_name + ".");
            loadDomains();
          } catch (err) { TM.fail("#domains-message", err); b.disabled = false; }
        });
        return h("tr", {}, h("td", { class: "mono" }, d.domain_name), h("td", {}, h("span", { class: "badge " + d.status }, d.status)),
          h("td", {}, String(d.mailboxes)), h("td", { class: "actions" }, b));
      }));
    } catch (err) { TM.fail("#domains-message", err); }
  }

  TM.$("#domain-add").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = TM.$("#new-domain"), name = input.value.trim();
    if (!name) { TM.show("#domains-message", "error", "Enter a domain name."); input.focus(); return; }
    try {
      const r = await TM.api("POST", "/api/admin/domains", { domain: name });
      input.value = "";
      TM.show("#domains-message", "ok", r.data.domain_name + " is an active system domain. Point its MX at this server.");
      loadDomains();
    } catch (err) { TM.fail("#domains-message", err); }
  });

  /* ---- keys, with the master key ---- */
  function master(method, body) {
    return TM.api(method, "/api/v1/admin/keys", body, { "X-API-Key": masterKey });
  }

  async function loadKeys() {
    try {
      const r = await master("GET");
      /* The route lists every live key, oldest first: show the newest few, not thousands. */
      const all = r.data.keys, shown = all.slice(-KEYS_SHOWN).reverse();
      TM.$("#keys").replaceChildren(...shown.map((k) => h("tr", {},
        h("td", { class: "mono" }, k.key), h("td", {}, k.name || "—"),
        h("td", { class: "small" }, TM.when(k.created)), h("td", { class: "small" }, k.last_used ? TM.when(k.last_used) : "never"))));
      TM.$("#keys-count").textContent = all.length > KEYS_SHOWN
        ? "(the newest " + KEYS_SHOWN + " of " + all.length + ")" : "(" + all.length + ")";
      TM.$("#keys-panel").hidden = false;
      return true;
    } catch (err) {
      TM.show("#keys-message", "error", err.status === 401 || err.status === 403 ? "That is not the master key." : err.message);
      return false;
    }
  }

  TM.$("#master").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = TM.$("#master-key");
    masterKey = input.value.trim();
    input.value = "";
    TM.show("#keys-message", "", "");
    if (!masterKey) { TM.show("#keys-message", "error", "Enter the master key."); return; }
    if (await loadKeys()) TM.show("#keys-message", "ok", "Master key accepted (kept in this page only).");
    else { masterKey = null; TM.$("#keys-panel").hidden = true; }
  });

  TM.$("#key-create").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const name = TM.$("#key-name").value.trim();
      const r = await master("POST", name ? { name } : {});
      TM.$("#new-key").textContent = r.data.key;
      TM.$("#new-key-box").hidden = false;
      TM.$("#key-name").value = "";
      TM.show("#keys-message", "ok", "Key created. Copy it now: it is shown only this once.");
      loadKeys();
    } catch (err) { TM.show("#keys-message", "error", err.message); }
  });
  TM.$("#copy-new-key").addEventListener("click", (ev) => TM.copy(TM.$("#new-key").textContent, ev.currentTarget));

  TM.$("#key-revoke").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = TM.$("#revoke-key"), key = input.value.trim();
    if (!/^al_[0-9a-f]{48}$/.test(key)) { TM.show("#keys-message", "error", "Paste the whole key: al_ and 48 hex digits."); input.focus(); return; }
    try {
      await master("DELETE", { key });
      input.value = "";
      TM.show("#keys-message", "ok", "Key " + key.slice(0, 7) + "… revoked: it stops working now.");
      loadKeys();
    } catch (err) { TM.show("#keys-message", "error", err.status === 404 ? "No live key matches." : err.message); }
  });

  /* ---- start ---- */
  TM.$("#users-prev").addEventListener("click", () => { page--; loadUsers(); });
  TM.$("#users-next").addEventListener("click", () => { page++; loadUsers(); });
  TM.$("#user-search").addEventListener("submit", (ev) => { ev.preventDefault(); query = TM.$("#q").value.trim(); page = 1; loadUsers(); });

  (async () => {
    try {
      await loadStats();
    } catch (err) {
      if (err.status === 403) TM.show("#message", "error", "This page is for administrators only.");
      else TM.fail("#message", err);
      return;
    }
    TM.$("#console").hidden = false;
    loadUsers();
    loadDomains();
  })();
})();
