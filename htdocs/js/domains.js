/* Domains: add one, show the exact MX and TXT records to publish, verify with a clear answer. */
"use strict";
(function () {
  if (!TM.requireLogin()) return;
  const h = TM.h;

  function copyButton(text, label) {
    const b = h("button", { type: "button", class: "secondary small", "aria-label": label }, "Copy");
    b.addEventListener("click", () => TM.copy(text, b));
    return b;
  }

  function records(d) {
    const rows = (d.dns_records || []).map((r) => h("tr", {},
      h("td", {}, h("strong", {}, r.type)),
      h("td", { class: "mono" }, r.name),
      h("td", { class: "mono" }, r.type === "MX" ? String(r.priority) : "—"),
      h("td", { class: "mono" }, r.type === "TXT" ? "\"" + r.value + "\"" : r.value + "."),
      h("td", { class: "actions" }, copyButton(r.value, "Copy the " + r.type + " value of " + d.domain_name))));
    return h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Name (host)"),
        h("th", { scope: "col" }, "Priority"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, h("span", { class: "hidden" }, "Copy")))),
      h("tbody", {}, rows)));
  }

  function card(d) {
    const result = h("div", { class: "notice", id: "verify-" + d.id });
    const verify = h("button", { type: "button", id: "verify-button-" + d.id }, d.status === "active" ? "Check again" : "Verify DNS");
    verify.addEventListener("click", async () => {
      verify.disabled = true;
      TM.show(result, "info", "Asking the DNS…");
      try {
        const r = await TM.api("POST", "/api/domains/" + d.id + "/verify");
        TM.show(result, "ok", "Verified: " + d.domain_name + " is active since " + TM.when(r.data.verified_at) +
          ". You can now generate addresses on it.");
        setTimeout(load, 1500);
      } catch (err) {
        if (err.status === 422) TM.show(result, "error", "Not verified yet. " + err.message + ". DNS changes can take a while to spread: try again in a few minutes.");
        else if (err.status === 401) TM.fail(result, err);
        else TM.show(result, "error", err.message);
      }
      verify.disabled = false;
    });
    const head = h("h2", {}, h("span", { class: "mono" }, d.domain_name), " ", h("span", { class: "badge " + d.status }, d.status));
    const body = [head];
    if (d.status === "pending") {
      body.push(h("p", {}, "Publish these two records at the DNS host of ", h("strong", {}, d.domain_name),
        ", then press Verify. The MX must be the domain's most preferred one."));
      body.push(records(d), h("p", {}, verify), result);
    } else if (d.status === "active") {
      body.push(h("p", { class: "muted" }, "Verified " + TM.when(d.verified_at) + ". Keep both records in place: mail arrives through the MX."),
        catchAll(d),
        h("details", {}, h("summary", {}, "DNS records"), records(d)), h("p", {}, h("a", { href: "/addresses.html" }, "Generate an address on it")));
    } else {
      body.push(h("p", { class: "muted" }, "Disabled by the operator: it receives no mail."));
    }
    return h("section", { class: "card", "aria-label": d.domain_name }, body);
  }

  /* Catch-all: mail to any address at the domain makes that address (in this account) on arrival. */
  function catchAll(d) {
    const id = "catch-all-" + d.id;
    const box = h("input", { type: "checkbox", id });
    box.checked = !!d.catch_all;
    const said = h("div", { class: "notice", id: id + "-result" });
    box.addEventListener("change", async () => {
      box.disabled = true;
      try {
        const r = await TM.api("PATCH", "/api/domains/" + d.id, { catch_all: box.checked });
        d.catch_all = r.data.domain.catch_all;
        TM.show(said, "ok", d.catch_all
          ? "Catch-all is on: mail to any address at " + d.domain_name + " now creates that address in your account."
          : "Catch-all is off: mail to addresses you have not generated is refused.");
      } catch (err) {
        box.checked = !!d.catch_all;
        TM.fail(said, err);
      }
      box.disabled = false;
    });
    return h("div", {}, h("label", { class: "check" }, box, " Catch-all: accept mail for any address at this domain"),
      h("p", { class: "small muted" }, "Each new address is created in your account on its first message, free of charge."), said);
  }

  async function load() {
    try {
      const r = await TM.api("GET", "/api/domains/user");
      const list = TM.$("#domains");
      list.replaceChildren(...r.data.domains.map(card));
      if (!r.data.domains.length) list.append(h("p", { class: "muted" }, "No domains yet."));
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  TM.$("#add").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = TM.$("#domain"), err = TM.$("#domain-error");
    const name = input.value.trim().replace(/\.$/, "");
    err.textContent = "";
    input.removeAttribute("aria-invalid");
    TM.show("#message", "", "");
    if (!/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(name)) {
      err.textContent = "Enter a domain name like example.com.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    const b = TM.$("#add-button");
    b.disabled = true;
    try {
      const r = await TM.api("POST", "/api/domains/add", { domain: name });
      input.value = "";
      TM.show("#message", "ok", r.data.domain.domain_name + " added. Now publish its MX and TXT records, shown below, and verify.");
      await load();
    } catch (e) {
      if (e.status === 400 || e.status === 409) {
        err.textContent = e.message;
        input.setAttribute("aria-invalid", "true");
      } else TM.fail("#message", e);
    }
    b.disabled = false;
  });

  load();
})();
