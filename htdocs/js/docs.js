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
