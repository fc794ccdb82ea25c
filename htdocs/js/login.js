/* Log-in: POST /api/account/login, then back to the page that asked for it. */
"use strict";
if (TM.param("out")) TM.show("#status", "ok", "You are logged out.");
else if (TM.param("next")) TM.show("#status", "info", "Log in to continue.");
TM.$("#form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  TM.show("#message", "", "");
  TM.show("#status", "", "");
  const creds = TMForm.read(1);
  if (!creds) return;
  const button = TM.$("#submit");
  button.disabled = true;
  try {
    const r = await TM.api("POST", "/api/account/login", creds);
    await TMForm.enter(r.data.csrf_token, r.data.email, TM.param("next"));
  } catch (err) {
    TMForm.apiError(err);
    button.disabled = false;
    TM.$("#password").focus();
  }
});
