/* The aurelion "Get a free API key": POST /api/v1/keys (no account needed), the key shown once. */
"use strict";
(function () {
  const origin = location.origin;
  TM.$("#example").textContent =
    "curl -X POST " + origin + "/api/v1/inboxes \\\n  -H \"X-API-Key: YOUR_KEY\" -d ''\n\n" +
    "curl \"" + origin + "/api/v1/messages?recipient=ADDRESS\" \\\n  -H \"X-API-Key: YOUR_KEY\"";

  TM.$("#get").addEventListener("click", async (ev) => {
    const button = ev.currentTarget;
    button.disabled = true;
    TM.show("#message", "", "");
    try {
      const r = await TM.api("POST", "/api/v1/keys");
      TM.$("#key").textContent = r.data.key;
      TM.$("#key-box").hidden = false;
      TM.show("#message", "ok", "Here is your key, created " + TM.when(r.data.created) + ". Copy it now: it is shown only this once.");
      TM.$("#copy").focus();
      return;
    } catch (err) {
      TM.show("#message", "error", err.status === 429
        ? "You already got a free key from this network in the last hour. " + err.message.replace(/^Too many requests this hour: /, "Try again ")
        : err.message);
    }
    button.disabled = false;
  });
  TM.$("#copy").addEventListener("click", (ev) => TM.copy(TM.$("#key").textContent, ev.currentTarget));
})();
