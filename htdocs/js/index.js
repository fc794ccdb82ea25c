/* The landing page: a logged-in visitor is offered the inbox first. */
"use strict";
(function () {
  const u = TM.user();
  if (!u) return;
  const cta = TM.$("#cta");
  cta.replaceChildren(
    TM.h("a", { class: "button", href: "/inbox.html" }, "Open your inbox"),
    TM.h("a", { class: "button secondary", href: "/addresses.html" }, "Make an address"),
    TM.h("a", { class: "button secondary", href: "/docs.html" }, "Read the API docs"));
})();
