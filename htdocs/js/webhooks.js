/* Webhooks: add one (the secret is shown once), list, pause or resume, delete, read a webhook's
   delivery log. */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h;
  let shown = null;                     /* the webhook whose log is open */

  /* The choices of "For": each address, then each domain ("every address on it"). */
  async function loadScopes() {
    const select = TM.$("#scope");
    try {
      const [boxes, domains] = await Promise.all([TM.api("GET", "/api/mail/list?per_page=100"),
        TM.api("GET", "/api/mailboxes/domains")]);
      select.replaceChildren(
        ...boxes.data.emails.map((b) => h("option", { value: "address:" + b.email_address }, b.email_address)),
        ...domains.data.domains.map((d) => h("option", { value: "domain:" + d.domain }, "Every address on " + d.domain)));
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  async function showLog(hook) {
    shown = hook;
    try {
      const r = await TM.api("GET", "/api/webhooks/" + hook.id + "/deliveries");
      TM.$("#log-for").textContent = "(" + (hook.address || "every address on " + hook.domain) + ", newest first)";
      const list = TM.$("#deliveries");
      list.replaceChildren(...r.data.deliveries.map((d) => h("tr", {},
        h("td", { class: "small muted" }, TM.when(d.created_at)),
        h("td", { class: "mono" }, d.address),
        h("td", {}, d.state),
        h("td", {}, String(d.attempts)),
        h("td", { class: "small" }, d.last_status ? "HTTP " + d.last_status : d.last_error || ""),
        h("td", { class: "small muted" }, TM.when(d.next_attempt_at)))));
      if (!r.data.deliveries.length) list.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "Nothing arrived since this webhook was added.")));
      TM.$("#log").hidden = false;
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  function row(hook) {
    const target = hook.address || "every address on " + hook.domain;
    const del = TM.confirmButton("Delete", async (b) => {
      b.disabled = true;
      try {
        await TM.api("DELETE", "/api/webhooks/" + hook.id);
        TM.show("#message", "ok", "The webhook for " + target + " was deleted.");
        if (shown && shown.id === hook.id) TM.$("#log").hidden = true;
        load();
      } catch (err) {
        TM.fail("#message", err);
        b.disabled = false;
      }
    });
    del.setAttribute("aria-label", "Delete the webhook for " + target);
    /* Paused, it is sent nothing; what arrives is held (pending in its log) until it is resumed. */
    const verb = hook.active ? "Pause" : "Resume";
    const toggle = h("button", { type: "button", class: "secondary small", "aria-label": verb + " the webhook for " + target }, verb);
    toggle.addEventListener("click", async () => {
      toggle.disabled = true;
      try {
        await TM.api("PATCH", "/api/webhooks/" + hook.id, { active: !hook.active });
        TM.show("#message", "ok", hook.active
          ? "The webhook for " + target + " is paused: what arrives is held until you resume it."
          : "The webhook for " + target + " is resumed: what it held is being sent.");
        load();
      } catch (err) {
        TM.fail("#message", err);
        toggle.disabled = false;
      }
    });
    const log = h("button", { type: "button", class: "secondary small", "aria-label": "Deliveries of the webhook for " + target }, "Deliveries");
    log.addEventListener("click", () => showLog(hook));
    return h("tr", {},
      h("td", { class: "mono" }, target, hook.active ? "" : h("span", { class: "small muted" }, " (paused)")),
      h("td", { class: "mono small" }, hook.url),
      h("td", { class: "small muted" }, TM.when(hook.created_at)),
      h("td", { class: "actions" }, log, " ", toggle, " ", del));
  }

  async function load() {
    try {
      const r = await TM.api("GET", "/api/webhooks");
      const list = TM.$("#list");
      list.replaceChildren(...r.data.webhooks.map(row));
      if (!r.data.webhooks.length) list.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No webhooks yet: add one above.")));
      TM.$("#total").textContent = "(" + r.data.total + ")";
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  TM.$("#copy-secret").addEventListener("click", (ev) => TM.copy(TM.$("#secret").textContent, ev.target));

  TM.$("#create").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = TM.$("#url"), err = TM.$("#url-error"), scope = TM.$("#scope").value;
    err.textContent = "";
    input.removeAttribute("aria-invalid");
    TM.$("#created").hidden = true;
    if (!scope) {
      err.textContent = "Make an address first (Addresses page), or add a domain.";
      return;
    }
    const [kind, name] = [scope.slice(0, scope.indexOf(":")), scope.slice(scope.indexOf(":") + 1)];
    const button = TM.$("#create-button");
    button.disabled = true;
    try {
      const r = await TM.api("POST", "/api/webhooks", { url: input.value.trim(), [kind]: name });
      TM.$("#secret").textContent = r.data.secret;
      TM.$("#created").hidden = false;
      input.value = "";
      load();
    } catch (e) {
      if (e.status === 400) {
        err.textContent = e.message;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else {
        TM.fail("#message", e);
      }
    }
    button.disabled = false;
  });

  loadScopes();
  load();
})();
