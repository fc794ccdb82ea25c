// Browser tests of tempmail's pages: Playwright (playwright-core) driving Debian's Chromium
// headless against the running local stack (var/stack.env), run with `node --test`.
//
// What they show: a new person signs up, gets the API key once, makes an address, mail
// sent over SMTP appears in the inbox without a reload, the HTML body renders in the
// sandboxed frame, an attachment downloads; a <script> in a message never runs; an
// administrator tops up a balance and uses the master-key routes; a webhook is added, its
// secret shown once, and its delivery log shows the message POSTed; every page loads without
// console errors and is saved as a screenshot under tests/web/artifacts/.
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOP = path.resolve(HERE, "../..");
const ARTIFACTS = path.join(HERE, "artifacts");
const ENV = stackEnv();
const BASE = ENV.TEMPMAIL_HTTP.replace(/\/$/, "");
const [SMTP_HOST, SMTP_PORT] = ENV.TEMPMAIL_SMTP.split(":");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/* var/stack.env, overridden by TEMPMAIL_* of the environment. */
function stackEnv() {
  const env = {};
  const file = path.join(TOP, "var", "stack.env");
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const m = line.match(/^\s*(?:export\s+)?(TEMPMAIL_[A-Z_]+)=(.*)$/);
      if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, "");
    }
  }
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("TEMPMAIL_")) env[k] = v;
  for (const k of ["TEMPMAIL_HTTP", "TEMPMAIL_SMTP"])
    if (!env[k]) throw new Error(`the stack is not running (no ${k}): run tools/stack start`);
  return env;
}

function tempmailctl(args, input) {
  return execFileSync(path.join(TOP, "tools", "tempmailctl"), args, {
    input, encoding: "utf8",
    env: { ...process.env, TEMPMAIL_CONF: ENV.TEMPMAIL_CONF || path.join(TOP, "var", "tempmail.conf") },
  });
}

const tag = () => randomBytes(5).toString("hex");

/* Send one message; a temporary failure (4xx: e.g. the milter restarting) is retried like an MTA would. */
async function sendMail(from, to, data) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await smtpOnce(from, to, data);
    } catch (e) {
      if (attempt >= 15 || !/ got 4\d\d|ECONNREFUSED|ECONNRESET/.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/* Just enough SMTP client: one message, dot-stuffed, each reply checked. */
function smtpOnce(from, to, data) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(SMTP_PORT), SMTP_HOST);
    const steps = [
      [null, 220], [`EHLO web-test.invalid`, 250], [`MAIL FROM:<${from}>`, 250], [`RCPT TO:<${to}>`, 250],
      ["DATA", 354], [data.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..") + "\r\n.", 250], ["QUIT", 221],
    ];
    let buf = "", i = 0;
    sock.setTimeout(30000, () => { sock.destroy(); reject(new Error("SMTP timeout")); });
    sock.on("error", reject);
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      const lines = buf.split("\r\n");
      buf = lines.pop();
      for (const line of lines) {
        if (/^\d{3}-/.test(line)) continue;             // continuation of a multi-line reply
        const code = Number(line.slice(0, 3));
        if (code !== steps[i][1]) { sock.destroy(); return reject(new Error(`SMTP: expected ${steps[i][1]}, got ${line}`)); }
        i++;
        if (i === steps.length) { sock.end(); return resolve(); }
        sock.write(steps[i][0] + "\r\n");
      }
    });
  });
}

function multipart(to, subject, text, html, attachment) {
  const b = "b-" + tag();
  return [
    `From: Web Test <sender@example.com>`, `To: ${to}`, `Subject: ${subject}`,
    `Message-ID: <${tag()}@web-test.invalid>`, `MIME-Version: 1.0`,
    `Content-Type: multipart/mixed; boundary="${b}"`, ``,
    `--${b}`, `Content-Type: multipart/alternative; boundary="${b}-alt"`, ``,
    `--${b}-alt`, `Content-Type: text/plain; charset=utf-8`, ``, text,
    `--${b}-alt`, `Content-Type: text/html; charset=utf-8`, ``, html,
    `--${b}-alt--`,
    ...(attachment ? [`--${b}`, `Content-Type: text/plain; name="${attachment.name}"`,
      `Content-Disposition: attachment; filename="${attachment.name}"`, `Content-Transfer-Encoding: base64`, ``,
      Buffer.from(attachment.content).toString("base64")] : []),
    `--${b}--`, ``,
  ].join("\r\n");
}

/* ---- browser ---- */
let browser;
const consoleErrors = new Map();          // page -> [messages]

async function newPage(options = {}) {
  const context = await browser.newContext({ baseURL: BASE, acceptDownloads: true, ...options });
  const page = await context.newPage();
  const errors = [];
  consoleErrors.set(page, errors);
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // An API answer of 4xx (or 503) is shown to the person by the page itself (the tests check
    // where); Chromium still logs it. Anything else (a missing file, a script error,
    // a CSP violation) is a fault of the page.
    if (/^Failed to load resource: the server responded with a status of (4\d\d|503)/.test(m.text())
        && new URL(m.location().url || page.url(), BASE).pathname.startsWith("/api/")) return;
    errors.push(`${page.url()}: ${m.text()} (${m.location().url || ""})`);
  });
  page.on("pageerror", (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
  return page;
}

function assertNoConsoleErrors(page) {
  assert.deepEqual(consoleErrors.get(page), [], "console errors");
}

async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name + ".png"), fullPage: true, timeout: 90000 });
}

async function register(page) {
  tempmailctl(["ratelimit", "clear", "ip:register:127.0.0.1"]);
  const email = `web-${tag()}@example.org`, password = "web test password";
  await page.goto("/register.html");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/profile.html?welcome=1");
  return { email, password };
}

async function login(page, email, password) {
  tempmailctl(["ratelimit", "clear", "ip:login:127.0.0.1"]);
  await page.goto("/login.html");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL("**/inbox.html");
}

before(async () => {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

after(async () => {
  await browser?.close();
});

/* A test that, when it fails, leaves a screenshot of each page it still had open. */
function test(name, fn) {
  nodeTest(name, async () => {
    const known = new Set(consoleErrors.keys());
    try {
      await fn();
    } catch (e) {
      let n = 0;
      for (const page of consoleErrors.keys())
        if (!known.has(page) && !page.isClosed()) await shot(page, `FAILED-${name.replace(/\W+/g, "-").slice(0, 40)}-${n++}`).catch(() => {});
      throw e;
    }
  });
}

/* ---- the tests ---- */

test("public pages load cleanly, on a desktop and on a phone", async () => {
  for (const [file, heading] of [["index.html", /Disposable e-mail/], ["register.html", /Create your account/],
    ["login.html", /Log in/], ["free-key.html", /free API key/], ["docs.html", /API documentation/]]) {
    const page = await newPage();
    await page.goto("/" + file);
    await assert.doesNotReject(page.getByRole("heading", { level: 1, name: heading }).waitFor());
    await shot(page, file.replace(".html", ""));
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, file.replace(".html", "") + "-phone");
    // Every page declares the Content-Security-Policy and loads no inline script.
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
    assert.match(csp, /script-src 'self'/);
    assert.equal(await page.locator("script:not([src])").count(), 0);
    assertNoConsoleErrors(page);
    await page.context().close();
  }
});

test("docs show both dialects with examples naming this server", async () => {
  const page = await newPage();
  await page.goto("/docs.html");
  const text = await page.locator("main").innerText();
  for (const route of ["/api/mail/generate", "/api/mail/list", "/api/mail/inbox/", "/api/domains/add",
    "/api/v1/inboxes", "/api/v1/messages?recipient=", "/api/v1/admin/keys", "/api/v1/keys", "MailAPI"])
    assert.ok(text.includes(route), route);
  assert.ok(text.includes(`curl -X POST ${BASE}/api/mail/generate`));
  assertNoConsoleErrors(page);
  await page.context().close();
});

test("a new person signs up, makes an address, and reads mail that arrives by itself", async () => {
  const page = await newPage();
  await register(page);

  // The key is shown once, with a copy button, and it works.
  const key = (await page.locator("#api-key").textContent()).trim();
  assert.match(key, /^al_[0-9a-f]{48}$/);
  await assert.doesNotReject(page.getByRole("button", { name: "Copy" }).waitFor());
  await page.locator("#used").filter({ hasText: "/" }).waitFor();
  assert.match(await page.locator("#tier").innerText(), /free/i);
  const r = await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": key } });
  assert.equal(r.status, 200);
  await shot(page, "profile");
  await page.reload();
  assert.equal(await page.locator("#fresh-key").isHidden(), true, "the key is shown only once");

  // The session cookie is HttpOnly and SameSite=Strict.
  const cookie = (await page.context().cookies()).find((c) => c.name === "tm_session");
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));

  // An address with a chosen prefix.
  await page.goto("/addresses.html");
  const prefix = "web-" + tag();
  await page.getByLabel(/Prefix/).fill(prefix);
  await page.getByRole("button", { name: "Generate" }).click();
  const address = (await page.locator("#new-address").textContent()).trim();
  assert.match(address, new RegExp("^" + prefix + "@"));
  await page.locator("#list tr", { hasText: address }).waitFor();
  await shot(page, "addresses");

  // Open its inbox, then send mail: it must appear without any navigation.
  await page.locator("#list tr", { hasText: address }).getByRole("link", { name: "Inbox" }).click();
  await page.waitForURL("**/inbox.html?address=*");
  await page.locator("#empty").waitFor();
  let navigations = 0;
  page.on("framenavigated", (f) => { if (f === page.mainFrame()) navigations++; });
  const marker = tag();
  const payload = "attachment payload " + marker;
  await sendMail("sender@example.com", address, multipart(address, "Welcome " + marker,
    "Plain text " + marker, `<h1 style="color:#2456c9">Hello ${marker}</h1><p>HTML part</p>`,
    { name: "notes.txt", content: payload }));
  const item = page.locator("#messages li", { hasText: "Welcome " + marker });
  await item.waitFor({ timeout: 45000 });
  assert.equal(navigations, 0, "the inbox did not reload");

  // The HTML body renders inside the sandboxed frame.
  await item.getByRole("button").click();
  const frame = page.frameLocator("#m-html");
  await frame.getByRole("heading", { name: "Hello " + marker }).waitFor();
  assert.equal(await page.locator("#m-html").getAttribute("sandbox"), "");
  await shot(page, "inbox");
  await page.setViewportSize({ width: 390, height: 844 });
  await frame.getByRole("heading", { name: "Hello " + marker }).waitFor();
  await page.waitForTimeout(500);         // the sandboxed frame repaints after the resize
  await shot(page, "inbox-phone");
  await page.setViewportSize({ width: 1280, height: 720 });

  // Text, attachment download, raw source.
  await page.getByRole("tab", { name: "Text" }).click();
  assert.match(await page.locator("#m-text").innerText(), new RegExp("Plain text " + marker));
  await page.getByRole("tab", { name: /Attachments \(1\)/ }).click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "notes.txt" }).click()]);
  assert.equal(download.suggestedFilename(), "notes.txt");
  assert.equal(fs.readFileSync(await download.path(), "utf8"), payload);
  await page.getByRole("tab", { name: "Raw source" }).click();
  await page.locator("#m-raw", { hasText: "Subject: Welcome " + marker }).waitFor();
  assertNoConsoleErrors(page);

  // Delete the address from the addresses page (a second click confirms).
  await page.goto("/addresses.html");
  const row = page.locator("#list tr", { hasText: address });
  await row.getByRole("button", { name: "Delete " + address }).click();
  await row.getByRole("button", { name: "Delete " + address }).click();
  await page.locator("#message", { hasText: "was deleted" }).waitFor();
  // The list is drawn again after the message shows: wait for the row to go, then check.
  await page.locator("#list tr", { hasText: address }).waitFor({ state: "detached", timeout: 10000 });
  assert.equal(await page.locator("#list tr", { hasText: address }).count(), 0);

  // The other pages of a logged-in person.
  await page.goto("/domains.html");
  const domain = `web-${tag()}.example`;
  await page.getByLabel("Domain name").fill(domain);
  await page.getByRole("button", { name: "Add domain" }).click();
  const card = page.locator("section.card", { has: page.getByRole("heading", { name: domain }) });
  await card.locator("td", { hasText: "tempmail-verify=" }).waitFor();
  assert.equal(await card.getByRole("row", { name: /MX/ }).count(), 1);
  await card.getByRole("button", { name: "Verify DNS" }).click();
  // No DNS is set up for it: a clear failure (422 names the missing records; 503 when no
  // resolver answers at all), shown on the domain's own card.
  await card.locator(".notice.error", { hasText: /Not verified yet|DNS lookup failed/ }).waitFor();
  const said = await card.locator(".notice.error").innerText();
  if (/Not verified yet/.test(said)) assert.match(said, /MX record .* must point to/);
  await shot(page, "domains");

  await page.goto("/admin.html");
  await page.locator("#message", { hasText: "administrators only" }).waitFor();
  assert.equal(await page.locator("#console").isHidden(), true);

  await page.goto("/free-key.html");
  tempmailctl(["ratelimit", "clear", "ip:freekey:127.0.0.1"]);
  await page.getByRole("button", { name: "Get a free key" }).click();
  await page.locator("#key", { hasText: /^al_[0-9a-f]{48}$/ }).waitFor();
  await shot(page, "free-key-got");

  // Log out: the session ends.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL("**/login.html?out=1");
  await page.goto("/profile.html");
  await page.waitForURL("**/login.html?next=*");
  assert.equal((await fetch(BASE + "/api/account/profile")).status, 401);
  assertNoConsoleErrors(page);
  await page.context().close();
});

test("after log-in, next= only ever leads to a page of this site", async () => {
  const page = await newPage();
  const { email, password } = await register(page);
  const origin = new URL(BASE).origin;
  // Each looks like a path to a prefix test; the browser takes the first two off-site.
  for (const [next, lands] of [["/\\evil.example/", "/inbox.html"], ["/\t/evil.example", "/inbox.html"],
    ["//evil.example", "/inbox.html"], ["https://evil.example/", "/inbox.html"], ["/profile.html?x=1", "/profile.html?x=1"]]) {
    tempmailctl(["ratelimit", "clear", "ip:login:127.0.0.1"]);
    // lighttpd refuses a control character in a URL (400) before the page loads, Apache
    // does not: the query is put in place by the page's own history, as a link could.
    await page.goto("/login.html");
    await page.evaluate((q) => history.replaceState(null, "", "/login.html?next=" + q), encodeURIComponent(next));
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
    const url = new URL(page.url());
    assert.equal(url.origin, origin, `next=${next} led to ${page.url()}`);
    assert.equal(url.pathname + url.search, lands, `next=${next}`);
  }
  await page.context().close();
});

test("a person adds a webhook, sees its secret once, and reads its delivery log", async () => {
  const got = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => { got.push({ headers: req.headers, body }); res.end("ok"); });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${receiver.address().port}/hook-${tag()}`;
  try {
    const page = await newPage();
    await register(page);
    await page.goto("/addresses.html");
    await page.getByRole("button", { name: "Generate" }).click();
    const address = (await page.locator("#new-address").textContent()).trim();

    await page.goto("/webhooks.html");
    await page.locator("#scope option", { hasText: address }).waitFor({ state: "attached" });
    // https only, but for loopback hosts: the page shows the API's reason
    await page.getByLabel("URL").fill("http://example.com/hook");
    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.locator("#url-error", { hasText: "https" }).waitFor();
    await page.getByLabel("URL").fill(url);
    await page.getByLabel("For").selectOption({ label: address });
    await page.getByRole("button", { name: "Add webhook" }).click();
    const secret = (await page.locator("#secret", { hasText: "whsec_" }).textContent()).trim();
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    await page.locator("#list tr", { hasText: url }).waitFor();
    await shot(page, "webhooks");

    const marker = tag();
    await sendMail("sender@example.com", address, `From: sender@example.com\nTo: ${address}\nSubject: Hook ${marker}\n\nhello`);
    for (let i = 0; i < 150 && !got.length; i++) await page.waitForTimeout(200);
    assert.equal(got.length, 1, "the receiver got the message");
    assert.equal(JSON.parse(got[0].body).subject, "Hook " + marker);

    const row = page.locator("#list tr", { hasText: url });
    await row.getByRole("button", { name: /Deliveries/ }).click();
    await page.locator("#deliveries tr", { hasText: "delivered" }).waitFor();
    assert.match(await page.locator("#deliveries").innerText(), /HTTP 200/);
    await page.reload();
    assert.equal(await page.locator("#created").isHidden(), true, "the secret is shown only once");

    // Paused, it is sent nothing: the next message waits in its log until it is resumed.
    await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /^Pause/ }).click();
    await page.locator("#list tr", { hasText: "(paused)" }).waitFor();
    const held = tag();
    await sendMail("sender@example.com", address, `From: sender@example.com\nTo: ${address}\nSubject: Held ${held}\n\nhello`);
    await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /Deliveries/ }).click();
    // Each look is a request of the account's (100 an hour on the free tier): a bounded few, spaced out.
    for (let i = 0, pause = 100; i < 20 && !(await page.locator("#deliveries tr", { hasText: "pending" }).count());
      i++, pause = Math.min(pause * 2, 2000)) {
      await page.waitForTimeout(pause);
      await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /Deliveries/ }).click();
    }
    await page.locator("#deliveries tr", { hasText: "pending" }).waitFor();
    assert.equal(got.length, 1, "nothing is sent while paused");
    await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /^Resume/ }).click();
    await page.locator("#message", { hasText: "is resumed" }).waitFor();
    await sendMail("sender@example.com", address, `From: sender@example.com\nTo: ${address}\nSubject: After ${held}\n\nhello`);
    for (let i = 0; i < 450 && got.length < 3; i++) await page.waitForTimeout(200);
    assert.deepEqual(got.slice(1).map((g) => JSON.parse(g.body).subject).sort(), ["After " + held, "Held " + held]);
    await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /Delete/ }).click();
    await page.locator("#list tr", { hasText: url }).getByRole("button", { name: /Delete/ }).click();
    await page.locator("#message", { hasText: "was deleted" }).waitFor();
    assertNoConsoleErrors(page);
    await page.context().close();
  } finally {
    receiver.close();
  }
});

test("a message carrying <script> never runs it", async () => {
  const page = await newPage();
  await register(page);
  await page.goto("/addresses.html");
  await page.getByRole("button", { name: "Generate" }).click();
  const address = (await page.locator("#new-address").textContent()).trim();
  await page.goto("/inbox.html?address=" + encodeURIComponent(address));
  await page.locator("#empty").waitFor();

  const marker = tag();
  const hostile = `<h1>Hostile ${marker}</h1>
<script>document.title = "RAN"; try { top.document.title = "PWNED"; } catch (e) {} try { top.__pwned = 1; } catch (e) {}
try { parent.postMessage("pwned", "*"); } catch (e) {} fetch("/api/account/profile");</script>
<img src="x" onerror="top.__pwned = 2; document.title = 'RAN'">
<svg onload="top.__pwned = 3"></svg>
<a id="go" href="javascript:top.__pwned=4">click</a>
<form action="/api/account/key" method="post"><button id="submit">send</button></form>`;
  await page.evaluate(() => window.addEventListener("message", (e) => { window.__message = e.data; }));
  await sendMail("evil@example.com", address, multipart(address, "Hostile " + marker, "text", hostile));
  const item = page.locator("#messages li", { hasText: "Hostile " + marker });
  await item.waitFor({ timeout: 45000 });
  await item.getByRole("button").click();
  const frame = page.frameLocator("#m-html");
  await frame.getByRole("heading", { name: "Hostile " + marker }).waitFor();
  await frame.locator("#go").click({ force: true }).catch(() => {});
  await frame.locator("#submit").click({ force: true }).catch(() => {});
  await page.waitForTimeout(1500);

  assert.doesNotMatch(await page.title(), /PWNED/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.evaluate(() => window.__message), undefined);
  const inner = page.frames().find((f) => f !== page.mainFrame());
  assert.notEqual(await inner.title(), "RAN", "the script ran inside the frame");
  assert.equal(await inner.evaluate(() => document.title), "");
  // The page is still whole, and the frame is still sealed.
  assert.equal(await page.locator("#m-html").getAttribute("sandbox"), "");
  assert.ok(page.url().includes("/inbox.html"));
  // Chromium reports what it blocked; nothing else may fail.
  const other = consoleErrors.get(page).filter((m) => !/\(about:srcdoc\)$|Blocked script execution in 'about:srcdoc'|Blocked form submission .* sandboxed/.test(m));
  assert.deepEqual(other, []);
  await shot(page, "inbox-hostile");
  await page.context().close();
});

test("an administrator tops up a balance and manages keys with the master key", async () => {
  const adminEmail = `web-admin-${tag()}@example.org`, adminPassword = "admin password web";
  tempmailctl(["account", "create", adminEmail, "--admin", "--password-stdin"], adminPassword + "\n");
  const userEmail = `web-user-${tag()}@example.org`;
  const userKey = tempmailctl(["account", "create", userEmail, "--balance", "0.5"]).trim().split("\n").pop();

  const page = await newPage();
  await login(page, adminEmail, adminPassword);
  await page.getByRole("link", { name: "Admin" }).click();
  await page.waitForURL("**/admin.html");
  await page.locator("#stats .stat").first().waitFor();

  await page.getByLabel("Search by e-mail").fill(userEmail);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#users-page", { hasText: "· 1 accounts" }).waitFor();   // the search's answer
  const row = page.locator("#users[aria-busy=false] tr", { hasText: userEmail });
  await row.waitFor();
  await row.getByLabel("Amount to add to the balance of " + userEmail).fill("2.5");
  await row.getByRole("button", { name: "Top up " + userEmail }).click();
  await page.locator("#users-message", { hasText: "the balance is now 3" }).waitFor()
    .catch(async (e) => { throw new Error(`no top-up: "${await page.locator("#users-message").innerText()}": ${e.message}`); });
  const profile = await (await fetch(BASE + "/api/account/profile", { headers: { "X-API-Key": userKey } })).json();
  assert.equal(profile.balance, 3);

  // Tier: pro, from the select.
  await row.getByLabel("Tier of " + userEmail).selectOption("pro");
  await page.locator("#users-message", { hasText: "pro tier" }).waitFor();

  // Keys through the master-key routes; the key is kept in memory only.
  await page.getByRole("textbox", { name: "Master key" }).fill(ENV.TEMPMAIL_MASTER_KEY);
  await page.getByRole("button", { name: "Use this key" }).click();
  await page.locator("#keys-panel").waitFor();
  assert.equal(await page.getByRole("textbox", { name: "Master key" }).inputValue(), "");
  await page.getByLabel(/Name of a new key/).fill("web test " + tag());
  await page.getByRole("button", { name: "Create key" }).click();
  const newKey = (await page.locator("#new-key", { hasText: /^al_/ }).textContent()).trim();
  assert.equal((await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": newKey } })).status, 200);
  // The listing shows the newest keys first, a bounded number of them, truncated.
  await page.locator("#keys tr").first().filter({ hasText: newKey.slice(0, 7) + "..." }).waitFor();
  assert.ok((await page.locator("#keys tr").count()) <= 50);
  await page.getByLabel(/Revoke a key/).fill(newKey);
  await page.getByRole("button", { name: "Revoke" }).click();
  await page.locator("#keys-message", { hasText: "revoked" }).waitFor()
    .catch(async (e) => { throw new Error(`no revocation: "${await page.locator("#keys-message").innerText()}": ${e.message}`); });
  assert.equal((await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": newKey } })).status, 401);
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie);
  assert.ok(!stored.includes(ENV.TEMPMAIL_MASTER_KEY), "the master key is not stored");

  // Disable, then enable the user.
  await row.getByRole("button", { name: "Disable " + userEmail }).click();
  await page.locator("#users-message", { hasText: "Account disabled" }).waitFor();
  assert.equal((await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": userKey } })).status, 401);
  await page.locator("#users tr", { hasText: userEmail }).getByRole("button", { name: "Enable " + userEmail }).click();
  await page.locator("#users-message", { hasText: "Account enabled" }).waitFor();
  assert.equal((await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": userKey } })).status, 200);

  await page.locator("#system-domains tr").first().waitFor();
  await shot(page, "admin");
  assertNoConsoleErrors(page);
  await page.context().close();
});

test("the inbox gets new mail pushed on its event stream and never polls the list", async () => {
  const page = await newPage();
  await register(page);
  const key = (await page.locator("#api-key").textContent()).trim();
  const made = await fetch(BASE + "/api/mail/generate", {
    method: "POST", headers: { "X-API-Key": key, "Content-Type": "application/json" }, body: "{}" });
  assert.equal(made.status, 201);
  const address = (await made.json()).email;

  // Every request the page makes, by path.
  const listPath = "/api/mail/inbox/" + encodeURIComponent(address);
  const requests = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  const listReads = () => requests.filter((p) => p === listPath || p === "/api/mail/inbox/" + address).length;
  const streamOpens = () => requests.filter((p) => p.endsWith("/events")).length;

  await page.goto("/inbox.html?address=" + encodeURIComponent(address));
  await page.locator("#empty").waitFor();
  await page.locator("#poll-status", { hasText: "Live" }).waitFor({ timeout: 15000 });
  assert.equal(listReads(), 1, "the list is read once when the page opens");
  assert.ok(streamOpens() >= 1, "the page opened the event stream");

  // Two messages, a few seconds apart: each appears, marked new, with no further list read.
  for (const n of [1, 2]) {
    const marker = tag();
    await sendMail("sender@example.com", address, multipart(address, `Pushed ${n} ${marker}`, "text " + marker, "<p>html</p>"));
    const item = page.locator("#messages li.new", { hasText: `Pushed ${n} ${marker}` });
    await item.waitFor({ timeout: 30000 });
    if (n === 1) await page.waitForTimeout(4000);   // room for a poll, were there one
  }
  assert.equal(await page.locator("#messages li").count(), 2);
  assert.equal(listReads(), 1, "the page polled the inbox list: " + JSON.stringify(requests));
  assert.match(await page.title(), /new/);
  await shot(page, "inbox-pushed");
  assertNoConsoleErrors(page);
  await page.context().close();
});

/* The stack's database as its administrator, for a state no page can make (a verified domain needs DNS). */
function sql(query) {
  return execFileSync("mariadb", [`--defaults-file=${path.join(TOP, "var", "mariadb-root.cnf")}`, "--batch",
    "--skip-column-names", "tempmail", "-e", query], { encoding: "utf8" }).trim();
}

test("the owner turns catch-all on for a verified domain, and mail makes new addresses", async () => {
  const page = await newPage();
  await register(page);
  const key = (await page.locator("#api-key").textContent()).trim();
  await page.goto("/domains.html");
  const domain = `web-${tag()}.customers.test`;
  await page.getByLabel("Domain name").fill(domain);
  await page.getByRole("button", { name: "Add domain" }).click();
  const card = page.locator("section.card", { has: page.getByRole("heading", { name: domain }) });
  await card.locator("td", { hasText: "tempmail-verify=" }).waitFor();
  assert.equal(await card.getByLabel(/Catch-all/).count(), 0, "no catch-all switch before verification");

  // Verified as test_domains.py does it through DNS; here straight in the database.
  sql(`UPDATE domains SET status = 'active', verified_at = UTC_TIMESTAMP(3) WHERE name = '${domain}'`);
  await page.reload();
  const box = card.getByLabel(/Catch-all/);
  assert.equal(await box.isChecked(), false);
  await box.check();
  await card.locator(".notice.ok", { hasText: "Catch-all is on" }).waitFor();
  assert.equal(sql(`SELECT catch_all FROM domains WHERE name = '${domain}'`), "1");
  await shot(page, "domains-catch-all");

  const address = `anything-${tag()}@${domain}`;
  await sendMail("sender@example.com", address, multipart(address, "Caught", "text", "<p>html</p>"));
  const listed = async () => (await (await fetch(BASE + "/api/mail/list", { headers: { "X-API-Key": key } })).json())
    .emails.map((e) => e.email_address);
  // A bounded few requests of the account's, spaced out: never into its hourly limit.
  for (let i = 0, pause = 100; i < 15 && !(await listed()).includes(address); i++, pause = Math.min(pause * 2, 2000)) {
    await new Promise((r) => setTimeout(r, pause));
  }
  assert.ok((await listed()).includes(address), "the address was made on its first message");

  await page.reload();
  await card.getByLabel(/Catch-all/).uncheck();
  await card.locator(".notice.ok", { hasText: "Catch-all is off" }).waitFor();
  assert.equal(sql(`SELECT catch_all FROM domains WHERE name = '${domain}'`), "0");
  assertNoConsoleErrors(page);
  await page.context().close();
});

test("the documents' fetch() examples work from a page of another site", async () => {
  // A page of the client's own site: another origin (another port) than the API's.
  const site = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end("<!doctype html><title>a client's site</title>");
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${site.address().port}`;
  const key = tempmailctl(["account", "create", `cors-${tag()}@example.org`, "--balance", "1"]).trim().split("\n").pop();
  const page = await newPage();
  try {
    await page.goto(origin + "/");
    assert.notEqual(new URL(page.url()).origin, new URL(BASE).origin);
    const got = await page.evaluate(async ({ BASE, key }) => {
      // leveragers, "1 Generate your first temporary email address", as written:
      let response = await fetch(BASE + "/api/mail/generate", {
        method: "POST",
        headers: { "X-API-KEY": key },
      });
      const first = await response.json();
      const remaining = response.headers.get("X-RateLimit-Remaining");
      // leveragers, POST /mail/generate with a JSON body, as written:
      response = await fetch(BASE + "/api/mail/generate", {
        method: "POST",
        headers: { "X-API-KEY": key, "Content-Type": "application/json" },
        body: JSON.stringify({ prefix: "cors" + Math.random().toString(16).slice(2, 10) }),
      });
      const second = await response.json();
      // aurelion, "Create inbox" then "Get messages", as written:
      const create = await fetch(BASE + "/api/v1/inboxes", { method: "POST", headers: { "X-API-Key": key } });
      const data = await create.json();
      const res = await fetch(BASE + "/api/v1/messages?recipient=" + data.address, { headers: { "X-API-Key": key } });
      const inbox = await res.json();
      // A log-in from this site is refused by the browser: the answer is not shared.
      let login;
      try {
        await fetch(BASE + "/api/account/login", { method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: "x@example.org", password: "whatever123" }) });
        login = "readable";
      } catch (e) { login = "blocked"; }
      return { first: first.email, remaining, second: second.email, address: data.address, messages: inbox.messages, login };
    }, { BASE, key });
    assert.match(got.first, /@/, "generate without a body");
    assert.ok(Number(got.remaining) >= 0, "the rate-limit headers are readable");
    assert.match(got.second, /^cors[0-9a-f]+@/, "generate with a JSON body");
    assert.match(got.address, /@/, "aurelion inbox");
    assert.deepEqual(got.messages, []);
    assert.equal(got.login, "blocked");
  } finally {
    await page.context().close();
    site.close();
  }
});
