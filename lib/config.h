#ifndef TEMPMAIL_CONFIG_H
#define TEMPMAIL_CONFIG_H

/*++
 * NAME
 *	config 3
 * SUMMARY
 *	tempmail.conf: the operator's settings
 * SYNOPSIS
 *	#include "config.h"
 *
 *	extern struct config cfg;
 *
 *	int	config_load(const char *path, char *err, size_t errlen);
 *	int	config_parse_line(const char *line, char *err, size_t errlen);
 *	void	config_reset(void);
 *	int	config_list_next(const char **list, const char **word, size_t *len);
 * DESCRIPTION
 *	The file holds `key = value` lines; `#` starts a comment line. Every key is
 *	listed, with its default and limits, in the parameter table of config.c;
 *	an unknown key, a malformed line or a number out of range is an error.
 *
 *	config_load() resets cfg to the defaults, then reads path; with path NULL
 *	it reads $TEMPMAIL_CONF, or /etc/tempmail/tempmail.conf when that is unset.
 *	A missing file is an error: a program run with no configuration would talk
 *	to the wrong database.
 *
 *	A list setting (reserved_local_parts, cors_origins) holds words separated
 *	by commas or blanks. config_list_next() finds the next word of *list:
 *	1 with *word and *len set and *list moved past it, 0 when none is left.
 * DIAGNOSTICS
 *	config_load() and config_parse_line() return 0 on success, -1 with a
 *	message ("file:line: reason") in err otherwise.
 *--*/

#include <stddef.h>

#define CONFIG_DEFAULT_PATH "/etc/tempmail/tempmail.conf"

struct config {
    /* MariaDB */
    char *db_host;              /* host name, or empty to use db_socket */
    long db_port;
    char *db_socket;
    char *db_user;
    char *db_password;
    char *db_name;
    long db_pool_size;          /* milter: most connections open at once */
    long db_timeout;            /* seconds to wait for a statement's answer (db(3)) */

    /* The service */
    char *default_domain;       /* used by generate when the client names none */
    char *mail_host;            /* the MX target custom domains must point at */
    char *address_price;        /* decimal string, debited per generated address */
    char *signup_balance;       /* decimal string, the balance a key-only account starts with */
    long message_ttl;           /* seconds a message lives after receipt */
    long max_message_size;      /* bytes; larger mail gets 552 5.3.4 */
    long max_request_body;      /* bytes of an HTTP request body */
    long http_threads;          /* requests one route process serves at once (http.h) */
    long http_active;           /* of those, how many work at once; the others wait for mail */
    long event_stream_seconds;  /* an inbox event stream ends after this long (evstream.h) */
    long event_stream_ping_seconds; /* a quiet stream sends ": ping" this often */
    long domain_claim_hours;    /* a pending custom domain holds its name this long */
    long catch_all_max;         /* live addresses a catch-all domain may make by mail */
    char *reserved_local_parts; /* never handed out, beside the role names (address.h) */
    char *cors_origins;         /* pages of these origins may call the API (cors.h); "*": any */
    char *master_key_hash;      /* hex SHA-256 of the admin master key, or empty */
    long rate_free;             /* requests per hour, free tier */
    long rate_pro;              /* requests per hour, pro tier */
    long register_per_ip;       /* self-service sign-ups per client IP per hour */

    /* Milter */
    char *milter_socket;        /* libmilter connection spec: unix:/path or inet:port@host */
    char *arrival_dir;          /* new-mail signals (arrival.h); empty: beside a unix milter_socket */
    long wait_reread_ms;        /* a waiting inbox read also re-reads this often; 0: never */
    char *temp_dir;             /* large messages spill here; empty: $TMPDIR, else /tmp */
    long purge_interval;        /* seconds between purges of expired mail; 0: never */

    /* Webhooks (tempmail-webhookd, and the checks of the webhooks routes) */
    long webhook_timeout;       /* seconds one delivery attempt may take */
    long webhook_retry_base;    /* seconds before the first retry; doubled each time */
    long webhook_retry_for;     /* seconds after arrival when a failing delivery is given up */
    long webhook_concurrency;   /* deliveries in flight at once */
    long webhook_allow_http;    /* 1: http:// for any host, not only loopback ones */
    long webhook_allow_internal;/* 1: loopback and private addresses may be targets */
    long webhook_log_keep;      /* seconds a finished delivery stays in the log */

    /* DNS for custom-domain verification */
    char *dns_server;           /* resolver address, empty: the system's */
    long dns_port;
};

extern struct config cfg;

extern int config_load(const char *path, char *err, size_t errlen);
extern int config_parse_line(const char *line, char *err, size_t errlen);
extern int config_list_next(const char **list, const char **word, size_t *len);
extern void config_reset(void);

#endif
