/* The docs: examples name this server (and, for a logged-in reader, a domain they can use). */
"use strict";
(function () {
  for (const el of document.querySelectorAll(".origin")) el.textContent = location.origin;
  if (!TM.user()) return;
  TM.api("GET", "/api/mailboxes/domains").then((r) => {
    const d = r.data.domains.find((x) => x.type === "system") || r.data.domains[0];
    if (d) for (const el of document.querySelectorAll(".domain")) el.textContent = d.domain;
  }).catch(() => {});
})();

/* The route reference, made from the OpenAPI document at load time (text only, never markup). */
(function () {
  const table = document.getElementById("reference-table");
  const status = document.getElementById("reference-status");
  if (!table || !status) return;
  const METHODS = ["get", "post", "put", "patch", "delete"];
  const AUTH = { ApiKey: "API key", Session: "session", MasterKey: "master key" };
  fetch("/api/openapi.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((res) => {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    })
    .then((doc) => {
      const rows = [];
      for (const [path, item] of Object.entries(doc.paths || {})) {
        for (const m of METHODS) if (item[m]) rows.push([m, path, item[m]]);
      }
      rows.sort((a, b) => a[1].localeCompare(b[1]) || METHODS.indexOf(a[0]) - METHODS.indexOf(b[0]));
      const body = table.tBodies[0];
      for (const [m, path, op] of rows) {
        const sec = (op.security || doc.security || []).map((s) => Object.keys(s).map((k) => AUTH[k] || k).join(" + "));
        body.appendChild(TM.h("tr", {},
          TM.h("td", {}, TM.h("span", { class: "method " + m, text: m.toUpperCase() })),
          TM.h("td", {}, TM.h("code", { text: path })),
          TM.h("td", { text: op.summary || "" }),
          TM.h("td", { text: sec.length ? sec.join(" or ") : "none" })));
      }
      table.hidden = false;
      status.textContent = rows.length + " routes, OpenAPI " + doc.openapi + ".";
    })
    .catch(() => { status.textContent = "The route list could not be loaded: see /api/openapi.json."; });
})();
