/* Profile: who I am, balance, tier, use this hour; the API key shown once after sign-up or rotation. */
"use strict";
(function () {
  if (!TM.requireLogin()) return;

  function showKey(key) {
    TM.$("#api-key").textContent = key;
    TM.$("#fresh-key").hidden = false;
    TM.$("#key-prefix").textContent = key.slice(0, 7);
  }

  async function load() {
    try {
      const p = (await TM.api("GET", "/api/account/profile")).data;
      TM.$("#email").textContent = p.email || "(key-only account)";
      TM.$("#created").textContent = TM.when(p.created_at);
      TM.$("#balance").textContent = Number(p.balance).toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
      TM.$("#tier").replaceChildren(TM.h("span", { class: "badge " + p.tier }, p.tier));
      TM.$("#limit").textContent = p.rate_limit + " requests per hour";
      TM.$("#used").textContent = p.requests_this_hour + " / " + p.rate_limit;
      if (!TM.$("#api-key").textContent) TM.$("#key-prefix").textContent = p.api_key_prefix ? p.api_key_prefix + "…" : "none";
      TM.remember(null, { email: p.email, is_admin: !!p.is_admin });
    } catch (err) {
      TM.fail("#message", err);
    }
  }

  const fresh = sessionStorage.getItem("tm_fresh_key");
  if (fresh) {
    sessionStorage.removeItem("tm_fresh_key");
    showKey(fresh);
    if (TM.param("welcome")) TM.show("#message", "ok", "Welcome! Your account is ready. Copy your API key below: it is shown only this once.");
  }

  TM.$("#copy-key").addEventListener("click", (ev) => TM.copy(TM.$("#api-key").textContent, ev.currentTarget));

  TM.$("#rotate").addEventListener("click", async (ev) => {
    const b = ev.currentTarget;
    if (!b.dataset.armed) {
      b.dataset.armed = "1";
      b.textContent = "Click again: the current key stops working";
      b.classList.add("danger");
      setTimeout(() => { delete b.dataset.armed; b.textContent = "Create a new key"; b.classList.remove("danger"); }, 5000);
      return;
    }
    delete b.dataset.armed;
    b.textContent = "Create a new key";
    b.classList.remove("danger");
    b.disabled = true;
    try {
      const r = await TM.api("POST", "/api/account/key");
      showKey(r.data.api_key);
      TM.show("#message", "ok", "New key created. The old one no longer works. Copy the new one now: it is shown only this once.");
      TM.$("#copy-key").focus();
      load();
    } catch (err) {
      TM.fail("#message", err);
    }
    b.disabled = false;
  });

  TM.$("#logout-here").addEventListener("click", TM.logout);
  load();
})();
