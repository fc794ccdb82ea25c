/* Sign-up and log-in share this: read the form, mark bad fields, show the API's error where it belongs. */
"use strict";
const TMForm = {
  fieldError(id, text) {
    const input = TM.$("#" + id), box = TM.$("#" + id + "-error");
    box.textContent = text || "";
    if (text) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  },
  /* Check email and password locally; returns {email, password} or null (errors shown). */
  read(minPassword) {
    const email = TM.$("#email").value.trim(), password = TM.$("#password").value;
    let ok = true;
    TMForm.fieldError("email", "");
    TMForm.fieldError("password", "");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) { TMForm.fieldError("email", "Enter an e-mail address like name@example.com."); ok = false; }
    if (password.length < minPassword) {
      TMForm.fieldError("password", minPassword > 1 ? "The password needs at least " + minPassword + " characters." : "Enter your password.");
      ok = false;
    }
    if (!ok) (TM.$('[aria-invalid="true"]') || TM.$("#email")).focus();
    return ok ? { email, password } : null;
  },
  /* Put an API error next to the field it is about, or into the form's message box. */
  apiError(err) {
    const m = err.message || "";
    if (/e-mail/i.test(m) && err.status === 400) TMForm.fieldError("email", m);
    else if (/password/i.test(m) && err.status === 400) TMForm.fieldError("password", m);
    else TM.show("#message", "error", m);
  },
  /* After log-in or sign-up: who is here (admin or not) for the header, then go on. */
  async enter(csrf, email, next) {
    TM.remember(csrf, { email, is_admin: false });
    try {
      const p = await TM.api("GET", "/api/account/profile");
      TM.remember(null, { email: p.data.email || email, is_admin: !!p.data.is_admin });
    } catch (e) { /* the header just shows less */ }
    location.assign(TMForm.samePath(next) || "/inbox.html");
  },
  /*
   * next= as a path of this site, or null. Checked after URL parsing, as the browser will
   * follow it: "/\evil.example" and "/%09/evil.example" look like paths to a prefix test
   * and lead off-site.
   */
  samePath(next) {
    if (!next || !next.startsWith("/")) return null;
    let url;
    try { url = new URL(next, location.origin); } catch (e) { return null; }
    return url.origin === location.origin ? url.pathname + url.search + url.hash : null;
  },
};
