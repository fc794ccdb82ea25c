/* Sign-up: POST /api/account/register. The key of the answer is handed to the profile page,
   which shows it once and forgets it. */
"use strict";
TM.$("#form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  TM.show("#message", "", "");
  const creds = TMForm.read(8);
  if (!creds) return;
  const button = TM.$("#submit");
  button.disabled = true;
  try {
    const r = await TM.api("POST", "/api/account/register", creds);
    sessionStorage.setItem("tm_fresh_key", r.data.api_key);
    await TMForm.enter(r.data.csrf_token, r.data.email, "/profile.html?welcome=1");
  } catch (err) {
    TMForm.apiError(err);
    button.disabled = false;
  }
});
