/*++
 * NAME
 *	config 3
 * SUMMARY
 *	tempmail.conf reader (see config.h)
 * CONFIGURATION PARAMETERS
 *	The table below is the single list of parameters, defaults and limits.
 *--*/

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct config cfg;

enum config_type { CONFIG_STR, CONFIG_LONG };

struct config_param {
    const char *name;
    enum config_type type;
    size_t offset;
    const char *default_value;
    long min, max;              /* CONFIG_LONG only */
};

#define STR(name, def) { #name, CONFIG_STR, offsetof(struct config, name), def, 0, 0 }
#define NUM(name, def, lo, hi) { #name, CONFIG_LONG, offsetof(struct config, name), def, lo, hi }

static const struct config_param config_params[] = {
    STR(db_host, ""),
    NUM(db_port, "3306", 1, 65535),
    STR(db_socket, "/run/mysqld/mysqld.sock"),
    STR(db_user, "tempmail"),
    STR(db_password, ""),
    STR(db_name, "tempmail"),
    NUM(db_pool_size, "8", 1, 256),
    NUM(db_timeout, "30", 3, 3600),
    STR(default_domain, "localhost"),
    STR(mail_host, "localhost"),
    STR(address_price, "0.001"),
    STR(signup_balance, "1"),
    NUM(message_ttl, "900", 10, 365L * 86400),
    NUM(max_message_size, "26214400", 1024, 1L << 30),
    NUM(max_request_body, "65536", 1024, 16L << 20),
    NUM(http_threads, "16", 1, 64),      /* http.c starts at most 64 */
    NUM(http_active, "8", 1, 64),
    NUM(event_stream_seconds, "300", 5, 3600),
    NUM(event_stream_ping_seconds, "15", 1, 300),
    NUM(domain_claim_hours, "24", 1, 24L * 365),
    NUM(catch_all_max, "1000", 1, 100000000),
    STR(reserved_local_parts, ""),
    STR(cors_origins, "*"),
    STR(master_key_hash, ""),
    NUM(rate_free, "100", 1, 100000000),
    NUM(rate_pro, "1000", 1, 100000000),
    NUM(register_per_ip, "10", 1, 100000000),
    STR(milter_socket, "unix:/run/tempmail/milter.sock"),
    STR(arrival_dir, ""),
    NUM(wait_reread_ms, "0", 0, 60000),
    STR(temp_dir, ""),
    NUM(purge_interval, "60", 0, 86400),
    NUM(webhook_timeout, "10", 1, 300),
    NUM(webhook_retry_base, "30", 1, 86400),
    NUM(webhook_retry_for, "86400", 1, 30L * 86400),
    NUM(webhook_concurrency, "8", 1, 256),
    NUM(webhook_allow_http, "0", 0, 1),
    NUM(webhook_allow_internal, "0", 0, 1),
    NUM(webhook_log_keep, "604800", 60, 365L * 86400),
    STR(dns_server, ""),
    NUM(dns_port, "53", 1, 65535),
};

#define CONFIG_NPARAMS (sizeof(config_params) / sizeof(config_params[0]))

static const struct config_param *config_find(const char *name, size_t len)
{
    for (size_t i = 0; i < CONFIG_NPARAMS; i++)
        if (strlen(config_params[i].name) == len && strncmp(config_params[i].name, name, len) == 0)
            return &config_params[i];
    return NULL;
}

static int config_set(const struct config_param *p, const char *value, char *err, size_t errlen)
{
    void *field = (char *)&cfg + p->offset;

    if (p->type == CONFIG_STR) {
        char *copy = strdup(value);
        if (copy == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n < p->min || n > p->max) {
        snprintf(err, errlen, "%s: want a whole number from %ld to %ld, got \"%s\"",
                 p->name, p->min, p->max, value);
        return -1;
    }
    *(long *)field = n;
    return 0;
}

void config_reset(void)
{
    char err[16];

    for (size_t i = 0; i < CONFIG_NPARAMS; i++)
        if (config_set(&config_params[i], config_params[i].default_value, err, sizeof(err)) != 0)
            abort();                    /* a default outside its own limits is our bug */
}

int config_parse_line(const char *line, char *err, size_t errlen)
{
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '\0' || *line == '#')
        return 0;

    const char *name = line;
    while (*line && (isalnum((unsigned char)*line) || *line == '_'))
        line++;
    size_t name_len = (size_t)(line - name);
    while (*line == ' ' || *line == '\t')
        line++;
    if (name_len == 0 || *line != '=') {
        snprintf(err, errlen, "expected \"name = value\"");
        return -1;
    }
    line++;
    while (*line == ' ' || *line == '\t')
        line++;

    const struct config_param *p = config_find(name, name_len);
    if (p == NULL) {
        snprintf(err, errlen, "unknown parameter \"%.*s\"", (int)name_len, name);
        return -1;
    }
    char value[1024];
    size_t len = strlen(line);
    while (len > 0 && isspace((unsigned char)line[len - 1]))
        len--;
    if (len >= sizeof(value)) {
        snprintf(err, errlen, "%s: value too long", p->name);
        return -1;
    }
    memcpy(value, line, len);
    value[len] = '\0';
    return config_set(p, value, err, errlen);
}

int config_load(const char *path, char *err, size_t errlen)
{
    config_reset();
    if (path == NULL)
        path = getenv("TEMPMAIL_CONF");
    if (path == NULL || *path == '\0')
        path = CONFIG_DEFAULT_PATH;

    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    char why[512];
    int lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(fp)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        if (config_parse_line(line, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            rc = -1;
            break;
        }
    }
    fclose(fp);
    return rc;
}

int config_list_next(const char **list, const char **word, size_t *len)
{
    const char *p = *list + strspn(*list, ", \t");

    *word = p;
    *len = strcspn(p, ", \t");
    *list = p + *len;
    return *len > 0;
}
