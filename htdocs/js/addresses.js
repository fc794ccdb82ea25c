/* Addresses: generate (optional prefix and domain), list page by page, delete. */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h, PER_PAGE = 10;
  let page = Math.max(1, Number(TM.param("page")) || 1), total = 0;

  async function loadDomains() {
    const select = TM.$("#domain");
    try {
      const r = await TM.api("GET", "/api/mailboxes/domains");
      select.replaceChildren(h("option", { value: "" }, "Default domain"), ...r.data.domains.map((d) =>
        h("option", { value: d.domain }, d.domain + (d.type === "custom" ? " (yours)" : ""))));
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  function row(box) {
    const del = TM.confirmButton("Delete", async (b) => {
      b.disabled = true;
      try {
        await TM.api("DELETE", "/api/mailboxes/" + box.id);
        TM.show("#message", "ok", box.email_address + " was deleted, with its messages.");
        if (total - 1 <= (page - 1) * PER_PAGE && page > 1) page--;
        load();
      } catch (err) {
        TM.fail("#message", err);
        b.disabled = false;
      }
    });
    del.setAttribute("aria-label", "Delete " + box.email_address);
    const copy = h("button", { type: "button", class: "secondary small", "aria-label": "Copy " + box.email_address }, "Copy");
    copy.addEventListener("click", () => TM.copy(box.email_address, copy));
    return h("tr", {},
      h("td", {}, h("a", { href: "/inbox.html?address=" + encodeURIComponent(box.email_address), class: "mono" }, box.email_address)),
      h("td", { class: "small muted" }, TM.when(box.created_at)),
      h("td", { class: "actions" }, h("a", { class: "button secondary small", href: "/inbox.html?address=" + encodeURIComponent(box.email_address) }, "Inbox"), " ", copy, " ", del));
  }

  async function load() {
    try {
      const r = await TM.api("GET", "/api/mail/list?page=" + page + "&per_page=" + PER_PAGE);
      total = r.data.total;
      const pages = Math.max(1, Math.ceil(total / PER_PAGE));
      if (page > pages) { page = pages; return load(); }
      const list = TM.$("#list");
      list.replaceChildren(...r.data.emails.map(row));
      if (!r.data.emails.length) list.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No addresses yet: generate one above.")));
      TM.$("#total").textContent = "(" + total + ")";
      TM.$("#page-info").textContent = "Page " + page + " of " + pages;
      TM.$("#prev").disabled = page <= 1;
      TM.$("#next").disabled = page >= pages;
      history.replaceState(null, "", page > 1 ? "?page=" + page : location.pathname);
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  TM.$("#prev").addEventListener("click", () => { page--; load(); });
  TM.$("#next").addEventListener("click", () => { page++; load(); });

  TM.$("#generate").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const prefixInput = TM.$("#prefix"), err = TM.$("#prefix-error");
    const prefix = prefixInput.value.trim();
    err.textContent = "";
    prefixInput.removeAttribute("aria-invalid");
    TM.show("#generated", "", "");
    if (prefix && !/^[A-Za-z0-9]([A-Za-z0-9._+-]*[A-Za-z0-9])?$/.test(prefix)) {
      err.textContent = "Use letters, digits, '.', '_', '-' or '+', starting and ending with a letter or digit.";
      prefixInput.setAttribute("aria-invalid", "true");
      prefixInput.focus();
      return;
    }
    const body = { domain: TM.$("#domain").value || undefined };
    if (prefix) body.prefix = prefix;
    const button = TM.$("#generate-button");
    button.disabled = true;
    try {
      const r = await TM.api("POST", "/api/mail/generate", body);
      const box = TM.$("#generated");
      TM.show(box, "ok", "");
      box.append("Your new address: ", h("strong", { class: "mono", id: "new-address" }, r.data.email), " — ",
        h("a", { href: "/inbox.html?address=" + encodeURIComponent(r.data.email) }, "open its inbox"),
        ". Balance left: " + r.data.balance + ".");
      prefixInput.value = "";
      page = 1;
      load();
    } catch (e) {
      if (e.status === 400 && /prefix/i.test(e.message)) {
        err.textContent = e.message;
        prefixInput.setAttribute("aria-invalid", "true");
      } else if (e.status === 402) {
        TM.show("#generated", "error", "Your balance is too low for a new address. Ask the operator for a top-up.");
      } else if (e.status === 409) {
        err.textContent = "That address is taken: choose another prefix.";
        prefixInput.setAttribute("aria-invalid", "true");
      } else {
        TM.fail("#generated", e);
      }
    }
    button.disabled = false;
  });

  loadDomains();
  load();
})();
