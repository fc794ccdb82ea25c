#ifndef TEMPMAIL_WEBHOOK_H
#define TEMPMAIL_WEBHOOK_H

/*++
 * NAME
 *	webhook 3
 * SUMMARY
 *	webhook targets, secrets, signatures and payloads
 * SYNOPSIS
 *	#include "webhook.h"
 *
 *	int	webhook_url_check(const char *url, char *canonical, size_t canonical_len,
 *			char *why, size_t why_len);
 *	int	webhook_address_internal(const struct sockaddr *sa);
 *	void	webhook_secret_new(char out[WEBHOOK_SECRET_SIZE]);
 *	void	webhook_sign(const char *secret, long long timestamp, const char *body,
 *			size_t len, char out[WEBHOOK_SIGNATURE_SIZE]);
 *	char	*webhook_payload(unsigned long long webhook_id, const STORE_MESSAGE *m,
 *			size_t *len);
 * DESCRIPTION
 *	The pieces the webhooks routes (cgi-bin/webhooks.c) and the worker
 *	(tempmail-webhookd) share, so that both apply the same rules.
 *
 *	webhook_url_check() accepts an absolute http:// or https:// URL of at
 *	most WEBHOOK_URL_MAX bytes, without spaces or control characters, and
 *	writes it as libcurl will request it into canonical. The target must
 *	be https://, except for a loopback host (127.0.0.0/8, ::1, localhost)
 *	or with cfg.webhook_allow_http. A host that is a loopback or private
 *	address, or "localhost", needs cfg.webhook_allow_internal.
 *
 *	webhook_address_internal() tells whether an address the worker is about
 *	to connect to is loopback, private, link-local, shared (100.64/10),
 *	unspecified or multicast: a public name can resolve to one (the worker
 *	refuses those unless cfg.webhook_allow_internal).
 *
 *	webhook_secret_new() makes a signing secret: "whsec_" and 64 hex digits
 *	of libsodium randomness (sodium_init() first).
 *
 *	webhook_sign() computes the signature header value for one attempt:
 *	"sha256=" and the hex HMAC-SHA256, keyed with the secret's bytes as
 *	shown to the account, of the timestamp in decimal, a ".", and the raw
 *	body. The timestamp (Unix seconds) travels in X-Tempmail-Timestamp, so
 *	a receiver recomputes the HMAC, compares in constant time, and rejects
 *	a timestamp far from its clock (a replayed request).
 *
 *	webhook_payload() is the JSON body posted for a new message:
 *	{"event": "message.received", "webhook_id", "address", "uuid", then the
 *	message as the leveragers inbox shows it (inbox_message_json()) and
 *	"truncated"}. When that is larger than WEBHOOK_PAYLOAD_MAX, body and
 *	html are sent empty and truncated is true (links and codes are still
 *	those of the whole message; the API has the rest).
 * DIAGNOSTICS
 *	webhook_url_check() returns 0, or -1 with a reason for the client in why.
 *	webhook_address_internal() returns 1 or 0. webhook_payload() returns
 *	a malloc'd NUL-terminated string; running out of memory is fatal.
 * SECURITY
 *	Secrets are never logged; the caller stores one and shows it once.
 *--*/

#include <stddef.h>
#include <sys/socket.h>

#include "store.h"

#define WEBHOOK_URL_MAX         2048
#define WEBHOOK_SECRET_SIZE     (6 + 64 + 1)        /* "whsec_" + hex + NUL */
#define WEBHOOK_SIGNATURE_SIZE  (7 + 64 + 1)        /* "sha256=" + hex + NUL */
#define WEBHOOK_PAYLOAD_MAX     (1024 * 1024)
#define WEBHOOK_EVENT           "message.received"

extern int webhook_url_check(const char *url, char *canonical, size_t canonical_len,
                             char *why, size_t why_len);
extern int webhook_address_internal(const struct sockaddr *sa);
extern void webhook_secret_new(char out[WEBHOOK_SECRET_SIZE]);
extern void webhook_sign(const char *secret, long long timestamp, const char *body, size_t len,
                         char out[WEBHOOK_SIGNATURE_SIZE]);
extern char *webhook_payload(unsigned long long webhook_id, const STORE_MESSAGE *m, size_t *len);

#endif
