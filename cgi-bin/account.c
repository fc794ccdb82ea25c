/*++
 * NAME
 *	account.fcgi 8
 * SUMMARY
 *	accounts: sign-up, log-in and log-out, profile, API key rotation
 * SYNOPSIS
 *	POST /api/account/register	{"email": "...", "password": "..."}
 *	POST /api/account/login		{"email": "...", "password": "..."}
 *	POST /api/account/logout
 *	GET  /api/account/profile
 *	POST /api/account/key		(rotate: a new key, every old one revoked)
 * DESCRIPTION
 *	The "Create an Account" and "Get Your API Key" steps of the leveragers
 *	document, for the web pages and for API clients alike. Sign-up and
 *	rotation answer the new API key once: only its hash is kept. Log-in
 *	(and sign-up) start a web session: an HttpOnly, SameSite=Strict cookie
 *	(Secure over HTTPS) and a CSRF token in the answer, which the pages
 *	send back in X-CSRF-Token on every request that changes something.
 * SECURITY
 *	Passwords are hashed with argon2id. A log-in for an unknown e-mail
 *	costs the same hash as a wrong password, so answers do not tell which
 *	e-mails have accounts. Sign-ups (register_per_ip) and log-in attempts
 *	(rate_free) are limited per client address and hour.
 * CONFIGURATION PARAMETERS
 *	signup_balance, register_per_ip, rate_free, rate_pro.
 *--*/

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "api.h"
#include "auth.h"
#include "config.h"
#include "reply.h"
#include "store.h"

#define SESSION_TTL         86400       /* a day: a disposable-mail console needs no more */
#define PASSWORD_MIN        8
#define PASSWORD_MAX        1024

/* Read {"email", "password"}; answers 400 itself and returns -1 when they are not usable. */
static int account_credentials(HTTP_REQUEST *req, char *email, size_t email_len,
                               char *password, size_t password_len)
{
    json_object *body = api_json_body(req);
    int failed = 0;

    if (body == NULL)
        return -1;
    const char *e = api_json_string(req, body, "email", &failed);
    const char *p = failed ? NULL : api_json_string(req, body, "password", &failed);
    if (failed) {
        json_object_put(body);
        return -1;
    }
    char local[65], domain[254];
    if (e == NULL || strlen(e) > 254 || strlen(e) >= email_len
        || !address_split(e, local, sizeof(local), domain, sizeof(domain))) {
        json_object_put(body);
        reply_error(req, 400, "A valid e-mail address is required");
        return -1;
    }
    if (p == NULL || strlen(p) < PASSWORD_MIN || strlen(p) > PASSWORD_MAX || strlen(p) >= password_len) {
        json_object_put(body);
        reply_error(req, 400, "The password needs 8 to 1024 characters");
        return -1;
    }
    snprintf(email, email_len, "%s@%s", local, domain);
    snprintf(password, password_len, "%s", p);
    json_object_put(body);
    return 0;
}

/* Start a web session: the cookie goes into the answer, the CSRF token into csrf. */
static int account_session_start(HTTP_REQUEST *req, DB *db, unsigned long long account_id,
                                 char *csrf, size_t csrf_len)
{
    unsigned char raw[32];
    char token[65], hash[AUTH_HASH_HEX + 1], cookie[256];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(csrf, csrf_len, raw, sizeof(raw));
    auth_key_hash(token, hash);
    if (store_session_create(db, account_id, hash, csrf, SESSION_TTL) != 0)
        return -1;
    snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             API_SESSION_COOKIE, token, SESSION_TTL, http_is_https(req) ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    sodium_memzero(token, sizeof(token));
    return 0;
}

static void account_register(HTTP_REQUEST *req)
{
    DB *db;
    char email[ADDRESS_MAX + 1], password[PASSWORD_MAX + 1], pwhash[AUTH_PWHASH_LEN];
    char key[AUTH_KEY_LEN + 1], hash[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1], csrf[65];
    unsigned long long account_id;

    if ((db = api_db(req)) == NULL || api_limit_ip(req, db, "register", cfg.register_per_ip) != 0)
        return;
    if (account_credentials(req, email, sizeof(email), password, sizeof(password)) != 0)
        return;
    int hashed = auth_password_hash(password, pwhash);
    sodium_memzero(password, sizeof(password));
    if (hashed != 0) {
        reply_error(req, 503, "Service temporarily unavailable");
        return;
    }
    auth_key_new(key);
    auth_key_hash(key, hash);
    auth_key_prefix(key, prefix);
    int rc = store_account_register(db, email, pwhash, cfg.signup_balance, 0, hash, prefix, &account_id);
    if (rc == DB_EDUP) {
        reply_error(req, 409, "An account with this e-mail exists: log in instead");
        return;
    }
    if (rc != 0 || account_session_start(req, db, account_id, csrf, sizeof(csrf)) != 0) {
        api_db_failed(req, db, "register");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Account created"));
    json_object_object_add(out, "email", json_object_new_string(email));
    json_object_object_add(out, "api_key", json_object_new_string(key));
    json_object_object_add(out, "balance", reply_decimal(cfg.signup_balance));
    json_object_object_add(out, "tier", json_object_new_string("free"));
    json_object_object_add(out, "csrf_token", json_object_new_string(csrf));
    sodium_memzero(key, sizeof(key));
    reply_json(req, 201, out);
}

/* Verified against when the e-mail is unknown, so both failures cost the same. */
static char account_decoy[AUTH_PWHASH_LEN];
static pthread_once_t account_decoy_once = PTHREAD_ONCE_INIT;

/* Made once per process: the request threads only read it (http.h: no unguarded statics). */
static void account_decoy_make(void)
{
    if (auth_password_hash("decoy password", account_decoy) != 0)
        account_decoy[0] = '\0';
}

static void account_login(HTTP_REQUEST *req)
{
    DB *db;
    char email[ADDRESS_MAX + 1], password[PASSWORD_MAX + 1], pwhash[AUTH_PWHASH_LEN], csrf[65];
    unsigned long long account_id = 0;
    int disabled = 0;

    if ((db = api_db(req)) == NULL || api_limit_ip(req, db, "login", cfg.rate_free) != 0)
        return;
    if (account_credentials(req, email, sizeof(email), password, sizeof(password)) != 0)
        return;
    pthread_once(&account_decoy_once, account_decoy_make);
    int rc = store_account_credentials(db, email, &account_id, pwhash, sizeof(pwhash), &disabled);
    if (rc != 0 && rc != STORE_NOTFOUND) {
        sodium_memzero(password, sizeof(password));
        api_db_failed(req, db, "login");
        return;
    }
    int ok = auth_password_verify(rc == 0 && *pwhash ? pwhash : account_decoy, password) && rc == 0 && *pwhash;
    sodium_memzero(password, sizeof(password));
    if (!ok || disabled) {
        reply_error(req, 401, disabled && ok ? "This account is disabled" : "Wrong e-mail or password");
        return;
    }
    if (account_session_start(req, db, account_id, csrf, sizeof(csrf)) != 0) {
        api_db_failed(req, db, "login");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Logged in"));
    json_object_object_add(out, "email", json_object_new_string(email));
    json_object_object_add(out, "csrf_token", json_object_new_string(csrf));
    reply_json(req, 200, out);
}

static void account_logout(HTTP_REQUEST *req)
{
    DB *db;
    char token[128], hash[AUTH_HASH_HEX + 1], cookie[160];

    if ((db = api_db(req)) == NULL)
        return;
    if (http_cookie(req, API_SESSION_COOKIE, token, sizeof(token)) == 1 && *token) {
        auth_key_hash(token, hash);
        if (store_session_delete(db, hash) != 0) {
            api_db_failed(req, db, "logout");
            return;
        }
    }
    snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
             API_SESSION_COOKIE, http_is_https(req) ? "; Secure" : "");
    http_add_header(req, "Set-Cookie", cookie);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("Logged out"));
    reply_json(req, 200, out);
}

static void account_profile(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    STORE_PROFILE profile;

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    if (store_account_profile(db, who.account_id, &profile) != 0) {
        api_db_failed(req, db, "profile");
        return;
    }
    long limit = strcmp(profile.tier, "pro") == 0 ? cfg.rate_pro : cfg.rate_free;
    json_object *out = json_object_new_object();
    json_object_object_add(out, "id", json_object_new_int64((int64_t)profile.account_id));
    json_object_object_add(out, "email", *profile.email ? json_object_new_string(profile.email) : NULL);
    json_object_object_add(out, "tier", json_object_new_string(profile.tier));
    json_object_object_add(out, "balance", reply_decimal(profile.balance));
    json_object_object_add(out, "is_admin", json_object_new_boolean(profile.is_admin));
    json_object_object_add(out, "api_key_prefix", json_object_new_string(profile.key_prefix));
    json_object_object_add(out, "rate_limit", json_object_new_int64(limit));
    json_object_object_add(out, "requests_this_hour", json_object_new_int64(who.requests_this_hour));
    json_object_object_add(out, "created_at", reply_time(profile.created_at, 0));
    reply_json(req, 200, out);
}

static void account_rotate_key(HTTP_REQUEST *req)
{
    DB *db;
    STORE_PRINCIPAL who;
    char key[AUTH_KEY_LEN + 1], hash[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1];

    if ((db = api_db(req)) == NULL || api_authenticate(req, db, &who) != 0)
        return;
    auth_key_new(key);
    auth_key_hash(key, hash);
    auth_key_prefix(key, prefix);
    if (store_key_rotate(db, who.account_id, hash, prefix) != 0) {
        api_db_failed(req, db, "rotate key");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "message", json_object_new_string("New API key created; the old one no longer works"));
    json_object_object_add(out, "api_key", json_object_new_string(key));
    sodium_memzero(key, sizeof(key));
    reply_json(req, 201, out);
}

static const HTTP_ROUTE account_routes[] = {
    { "POST", "/api/account/register", account_register },
    { "POST", "/api/account/login", account_login },
    { "POST", "/api/account/logout", account_logout },
    { "GET", "/api/account/profile", account_profile },
    { "POST", "/api/account/key", account_rotate_key },
    { 0 },
};

int main(void)
{
    return http_serve("tempmail-account", account_routes);
}
