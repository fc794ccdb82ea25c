/*++
 * NAME
 *	tempmailctl 8
 * SUMMARY
 *	the operator's command line for tempmail
 * SYNOPSIS
 *	tempmailctl [-c config] db upgrade [--sql-dir DIR]
 *	tempmailctl [-c config] db version
 *	tempmailctl [-c config] domain add NAME
 *	tempmailctl [-c config] account create EMAIL [--balance N] [--admin] [--password-stdin]
 *	tempmailctl [-c config] account tier EMAIL free|pro
 *	tempmailctl [-c config] account topup EMAIL AMOUNT
 *	tempmailctl [-c config] ratelimit clear SUBJECT
 *	tempmailctl [-c config] purge
 *	tempmailctl [-c config] domain disable NAME
 *	tempmailctl [-c config] master-key set [--print]
 *	tempmailctl [-c config] roles
 *	tempmailctl [-c config] stats
 * DESCRIPTION
 *	db upgrade loads sql/schema.sql into an empty database, then applies
 *	every sql/migrations/NNN_*.sql whose version is not recorded yet, in
 *	order, recording each; run twice, the second run does nothing. A
 *	migration numbered below one already applied (branches merged out of
 *	order) is applied too: numbers order the files, the records say what
 *	was done.
 *
 *	domain add makes NAME an active system domain (idempotent).
 *
 *	account create makes an account and its first API key, and prints the
 *	key alone on standard output: it is shown this once, only its hash is
 *	kept. With --password-stdin the first line of standard input becomes
 *	the account's web password.
 *
 *	account tier sets the account's tier (its hourly request limit is
 *	rate_free or rate_pro). account topup adds AMOUNT to its balance
 *	(a negative amount takes away) and prints the new balance.
 *
 *	ratelimit clear forgets the request counts of one subject: an
 *	account ("account:42") or a client address and action
 *	("ip:register:192.0.2.1", "ip:login:...").
 *
 *	purge deletes the messages past their expiry now and prints how many;
 *	the milter purges on its own, this is for the operator and the tests.
 *	It takes the milters' cluster-wide purge lease (store_lock(3)), waiting
 *	up to a minute while a milter has it.
 *
 *	db upgrade waits as long as a migration takes (db_timeout does not
 *	apply to it): one that rebuilds the messages table of a large
 *	installation takes minutes (INSTALL, "Upgrades").
 *
 *	db upgrade holds a server lock (GET_LOCK) while it works, so two runs
 *	at once apply each migration once, and runs each file with its version
 *	record in one transaction: a migration of data statements is applied
 *	whole or not at all (DDL commits implicitly in MariaDB; see
 *	sql/migrations/README for how such a migration stays re-runnable).
 *
 *	domain disable makes a system domain "disabled": Postfix's map and the
 *	milter stop accepting mail for it, its mailboxes stay (domain add
 *	activates it again). A customer's domain is not the operator's to change.
 *
 *	master-key set makes a new master key for the admin routes, prints it
 *	once on standard output, and writes its hash as master_key_hash into
 *	the configuration file (the one of -c, $TEMPMAIL_CONF or the default),
 *	replacing the old line, keeping the file's mode and owner. With --print
 *	it writes nothing and prints the key and then the configuration line,
 *	for a configuration kept elsewhere. The route binaries read the file
 *	when they start: restart them (the web server) afterwards.
 *
 *	roles lists the role addresses already handed out (ones made before
 *	tempmail refused them, or before the operator reserved a name with
 *	reserved_local_parts), one "address owner" line each, oldest first:
 *	delete them (or the account) so no one reads a certificate authority's
 *	mail for the operator's domains. address(3) tells which names are roles.
 *
 *	stats prints counts, one "name value" line each: accounts, disabled
 *	accounts, live API keys, system and custom domains, mailboxes, live
 *	messages, attachments and the bytes of stored messages.
 * DIAGNOSTICS
 *	Exit 0 on success, 1 when the operation failed (the reason on standard
 *	error), 2 on a usage error.
 * CONFIGURATION PARAMETERS
 *	The database settings of tempmail.conf (-c, else $TEMPMAIL_CONF, else
 *	/etc/tempmail/tempmail.conf). The SQL folder: --sql-dir, else
 *	$TEMPMAIL_SQL_DIR, else the installed one, else ../sql beside this program.
 *--*/

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "store.h"

#ifndef TEMPMAIL_SQLDIR
#define TEMPMAIL_SQLDIR "/usr/local/share/tempmail/sql"
#endif

static const char *ctl_program_path;

static void ctl_usage(void)
{
    fprintf(stderr,
            "usage: tempmailctl [-c config] db upgrade [--sql-dir DIR]\n"
            "       tempmailctl [-c config] db version\n"
            "       tempmailctl [-c config] domain add NAME\n"
            "       tempmailctl [-c config] purge\n"
            "       tempmailctl [-c config] account create EMAIL [--balance N] [--admin] [--password-stdin]\n"
            "       tempmailctl [-c config] account tier EMAIL free|pro\n"
            "       tempmailctl [-c config] account topup EMAIL AMOUNT\n"
            "       tempmailctl [-c config] ratelimit clear SUBJECT\n"
            "       tempmailctl [-c config] domain disable NAME\n"
            "       tempmailctl [-c config] master-key set [--print]\n"
            "       tempmailctl [-c config] roles\n"
            "       tempmailctl [-c config] stats\n");
    exit(2);
}

static DB *ctl_db(void)
{
    char err[512];
    DB *db = db_open(err, sizeof(err));
    if (db == NULL) {
        fprintf(stderr, "tempmailctl: %s\n", err);
        exit(1);
    }
    return db;
}

static char *ctl_read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (text && fread(text, 1, (size_t)size, fp) != (size_t)size) {
        free(text);
        text = NULL;
    }
    if (text)
        text[size] = '\0';
    fclose(fp);
    return text;
}

static int ctl_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void ctl_sql_dir(const char *given, char *out, size_t len)
{
    const char *env = getenv("TEMPMAIL_SQL_DIR");
    if (given) {
        snprintf(out, len, "%s", given);
    } else if (env && *env) {
        snprintf(out, len, "%s", env);
    } else if (ctl_is_dir(TEMPMAIL_SQLDIR)) {
        snprintf(out, len, "%s", TEMPMAIL_SQLDIR);
    } else {
        char self[PATH_MAX];
        snprintf(self, sizeof(self), "%s", ctl_program_path);
        snprintf(out, len, "%s/../sql", dirname(self));
    }
}

static int ctl_apply(DB *db, const char *path, long version)
{
    char err[1024];
    char *text = ctl_read_file(path);
    if (text == NULL) {
        fprintf(stderr, "tempmailctl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (db_begin(db) != 0) {
        free(text);
        fprintf(stderr, "tempmailctl: %s: %s\n", path, db_error(db));
        return -1;
    }
    int rc = db_run_script(db, text, err, sizeof(err));
    free(text);
    if (rc != 0) {
        db_rollback(db);
        fprintf(stderr, "tempmailctl: %s: %s\n", path, err);
        return -1;
    }
    if ((version > 0 && store_schema_record(db, version) != 0) || db_commit(db) != 0) {
        fprintf(stderr, "tempmailctl: recording version %ld: %s\n", version, db_error(db));
        db_rollback(db);
        return -1;
    }
    printf("applied %s\n", path);
    return 0;
}

static int ctl_name_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 8 && strspn(d->d_name, "0123456789") == 3 && d->d_name[3] == '_'
        && strcmp(d->d_name + n - 4, ".sql") == 0;
}

static int ctl_db_upgrade(const char *sql_dir_arg)
{
    char dir[PATH_MAX], path[PATH_MAX + 300];
    long version;

    /* A migration may rebuild a table of millions of rows: wait for it (a day at most). */
    db_set_timeout(86400);
    DB *db = ctl_db();

    ctl_sql_dir(sql_dir_arg, dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/schema.sql", dir);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "tempmailctl: %s: %s (give the SQL folder with --sql-dir)\n", path,
                strerror(errno));
        return 1;
    }
    int locked = store_upgrade_lock(db, 120);
    if (locked != 0) {
        fprintf(stderr, "tempmailctl: %s\n", locked == STORE_NOTFOUND
                ? "another db upgrade holds the lock; not done after 120 s" : db_error(db));
        return 1;
    }
    if (store_schema_version(db, &version) != 0) {
        fprintf(stderr, "tempmailctl: reading the schema version: %s\n", db_error(db));
        return 1;
    }
    if (version == 0) {
        snprintf(path, sizeof(path), "%s/schema.sql", dir);
        if (ctl_apply(db, path, 0) != 0 || store_schema_version(db, &version) != 0)
            return 1;
    }
    struct dirent **names;
    snprintf(path, sizeof(path), "%s/migrations", dir);
    int n = scandir(path, &names, ctl_name_filter, alphasort);
    if (n < 0 && errno == ENOENT) {
        n = 0;                      /* no migrations folder: nothing past the baseline */
        names = NULL;
    } else if (n < 0) {
        fprintf(stderr, "tempmailctl: %s: %s\n", path, strerror(errno));
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        long number = strtol(names[i]->d_name, NULL, 10);
        int done = rc == 0 ? store_schema_has(db, number) : 1;
        if (done < 0) {
            fprintf(stderr, "tempmailctl: reading the schema version: %s\n", db_error(db));
            rc = 1;
        } else if (!done) {
            snprintf(path, sizeof(path), "%s/migrations/%s", dir, names[i]->d_name);
            if (ctl_apply(db, path, number) != 0)
                rc = 1;
            else if (number > version)
                version = number;
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0)
        printf("schema version %ld\n", version);
    store_upgrade_unlock(db);
    db_close(db);
    return rc;
}

static int ctl_db_version(void)
{
    long version;
    DB *db = ctl_db();
    if (store_schema_version(db, &version) != 0) {
        fprintf(stderr, "tempmailctl: %s\n", db_error(db));
        return 1;
    }
    printf("%ld\n", version);
    db_close(db);
    return 0;
}

static int ctl_domain_add(const char *name_arg)
{
    char name[254];
    unsigned long long id;

    snprintf(name, sizeof(name), "%s", name_arg);
    address_lowercase(name);
    if (!address_valid_domain(name)) {
        fprintf(stderr, "tempmailctl: %s: not a valid domain name\n", name_arg);
        return 1;
    }
    DB *db = ctl_db();
    int rc = store_domain_add_system(db, name, &id);
    if (rc == DB_EDUP) {
        fprintf(stderr, "tempmailctl: %s belongs to a customer account\n", name);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "tempmailctl: adding %s: %s\n", name, db_error(db));
        return 1;
    }
    printf("domain %s active (id %llu)\n", name, id);
    db_close(db);
    return 0;
}

struct ctl_new_account {
    const char *email, *pwhash, *balance;
    int admin;
    char *key;                  /* AUTH_KEY_LEN + 1: the new key, in clear */
};

/* The account and its first key in one transaction (db_txn() may run it again). */
static int ctl_account_create_txn(DB *db, void *arg)
{
    const struct ctl_new_account *a = arg;
    unsigned long long account_id, key_id;
    char hash[AUTH_HASH_HEX + 1], prefix[AUTH_PREFIX_LEN + 1];
    int rc = store_account_create(db, a->email, a->pwhash, a->balance, a->admin, &account_id);
    if (rc != 0)
        return rc;
    auth_key_new(a->key);
    auth_key_hash(a->key, hash);
    auth_key_prefix(a->key, prefix);
    return store_key_create(db, account_id, hash, prefix, "tempmailctl", &key_id);
}

static int ctl_account_create(int argc, char **argv)
{
    const char *email = argv[0], *balance = "0";
    int admin = 0, password_stdin = 0;
    char password[1024] = "", pwhash[AUTH_PWHASH_LEN];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--balance") == 0 && i + 1 < argc)
            balance = argv[++i];
        else if (strcmp(argv[i], "--admin") == 0)
            admin = 1;
        else if (strcmp(argv[i], "--password-stdin") == 0)
            password_stdin = 1;
        else
            ctl_usage();
    }
    if (strspn(balance, "0123456789.") != strlen(balance) || *balance == '\0') {
        fprintf(stderr, "tempmailctl: --balance wants a non-negative decimal number\n");
        return 1;
    }
    if (password_stdin) {
        if (fgets(password, sizeof(password), stdin) == NULL)
            password[0] = '\0';
        password[strcspn(password, "\r\n")] = '\0';
        if (strlen(password) < 8) {
            fprintf(stderr, "tempmailctl: the password needs at least 8 characters\n");
            return 1;
        }
        if (auth_password_hash(password, pwhash) != 0) {
            fprintf(stderr, "tempmailctl: out of memory hashing the password\n");
            return 1;
        }
        sodium_memzero(password, sizeof(password));
    }

    DB *db = ctl_db();
    char key[AUTH_KEY_LEN + 1];
    struct ctl_new_account a = { email, password_stdin ? pwhash : NULL, balance, admin, key };
    int rc = db_txn(db, ctl_account_create_txn, &a);
    if (rc == DB_EDUP) {
        fprintf(stderr, "tempmailctl: an account with e-mail %s exists\n", email);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "tempmailctl: creating the account: %s\n", db_error(db));
        return 1;
    }
    printf("%s\n", key);
    db_close(db);
    return 0;
}

static int ctl_decimal_ok(const char *s)
{
    if (*s == '-')
        s++;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || digits > 12)
        return 0;
    if (s[digits] == '\0')
        return 1;
    return s[digits] == '.' && strspn(s + digits + 1, "0123456789") == strlen(s + digits + 1)
        && strlen(s + digits + 1) <= 6;
}

static int ctl_account_change(const char *verb, const char *email, const char *value)
{
    char balance[32];
    int rc;

    if (strcmp(verb, "tier") == 0 && strcmp(value, "free") != 0 && strcmp(value, "pro") != 0) {
        fprintf(stderr, "tempmailctl: the tier is free or pro\n");
        return 2;
    }
    if (strcmp(verb, "topup") == 0 && !ctl_decimal_ok(value)) {
        fprintf(stderr, "tempmailctl: the amount is a decimal number with at most 6 places\n");
        return 2;
    }
    DB *db = ctl_db();
    rc = strcmp(verb, "tier") == 0 ? store_account_set_tier(db, email, value)
                                   : store_account_topup(db, email, value, balance, sizeof(balance));
    if (rc == STORE_NOTFOUND) {
        fprintf(stderr, "tempmailctl: no account with e-mail %s\n", email);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "tempmailctl: %s: %s\n", verb, db_errno(db) == 1264 || db_errno(db) == 4025
                ? "the balance would go below zero or out of range" : db_error(db));
        return 1;
    }
    if (strcmp(verb, "tier") == 0)
        printf("%s: tier %s\n", email, value);
    else
        printf("%s: balance %s\n", email, balance);
    db_close(db);
    return 0;
}

static int ctl_ratelimit_clear(const char *subject)
{
    long long deleted;
    DB *db = ctl_db();
    if (store_rate_clear(db, subject, &deleted) != 0) {
        fprintf(stderr, "tempmailctl: %s\n", db_error(db));
        return 1;
    }
    printf("%s: %lld window(s) cleared\n", subject, deleted);
    db_close(db);
    return 0;
}

/* Under the milters' purge lease: wait (up to a lease) while one of them purges. */
static int ctl_purge(void)
{
    char holder[128];
    long deleted = 0;
    int rc = 0;

    store_lock_holder(holder, sizeof(holder), "tempmailctl-purge");
    DB *db = ctl_db();
    for (int i = 0; i < 130 && (rc = store_purge_leased(db, holder, NULL, NULL, &deleted)) == 0; i++)
        usleep(500 * 1000);
    if (rc < 0)
        fprintf(stderr, "tempmailctl: purging after %ld messages: %s\n", deleted, db_error(db));
    else if (rc == 0)
        fprintf(stderr, "tempmailctl: another host has held the purge lease for over a minute: try later\n");
    else
        printf("purged %ld expired messages\n", deleted);
    db_close(db);
    return rc != 1;
}

static int ctl_domain_disable(const char *name_arg)
{
    char name[254];
    STORE_DOMAIN domain;

    snprintf(name, sizeof(name), "%s", name_arg);
    address_lowercase(name);
    DB *db = ctl_db();
    int rc = store_domain_find(db, name, &domain);
    if (rc == 0 && domain.owner_id != 0) {
        fprintf(stderr, "tempmailctl: %s belongs to a customer account, not disabled\n", name);
        return 1;
    }
    if (rc == 0)
        rc = store_domain_set_system_status(db, domain.id, "disabled");
    if (rc == STORE_NOTFOUND) {
        fprintf(stderr, "tempmailctl: no system domain %s\n", name);
        return 1;
    }
    if (rc != 0) {
        fprintf(stderr, "tempmailctl: disabling %s: %s\n", name, db_error(db));
        return 1;
    }
    printf("domain %s disabled (id %llu)\n", name, domain.id);
    db_close(db);
    return 0;
}

/* Replace (or add) the master_key_hash line of path, atomically, keeping mode and owner. */
static int ctl_conf_set_master(const char *path, const char *hash)
{
    char tmp[PATH_MAX], line[4096];
    struct stat st;
    int found = 0;

    FILE *in = fopen(path, "r");
    if (in == NULL || fstat(fileno(in), &st) != 0) {
        fprintf(stderr, "tempmailctl: %s: %s\n", path, strerror(errno));
        if (in)
            fclose(in);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (out == NULL) {
        fprintf(stderr, "tempmailctl: %s: %s\n", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        fclose(in);
        return -1;
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        const char *p = line + strspn(line, " \t");
        if (strncmp(p, "master_key_hash", 15) == 0 && strchr(" \t=", p[15]) != NULL) {
            if (!found)
                fprintf(out, "master_key_hash = %s\n", hash);
            found = 1;
        } else {
            fputs(line, out);
        }
    }
    if (!found)
        fprintf(out, "%smaster_key_hash = %s\n",
                ftell(out) > 0 && line[strlen(line) - 1] != '\n' ? "\n" : "", hash);
    int failed = ferror(in) || fchmod(fd, st.st_mode & 07777) != 0
        || (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) || fflush(out) != 0
        || fsync(fd) != 0;
    failed |= fclose(out) != 0;
    fclose(in);
    if (failed || rename(tmp, path) != 0) {
        fprintf(stderr, "tempmailctl: writing %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int ctl_master_key_set(const char *config_path, int print_only)
{
    char key[AUTH_KEY_LEN + 1], hash[AUTH_HASH_HEX + 1];
    const char *path = config_path ? config_path : getenv("TEMPMAIL_CONF");

    if (path == NULL || *path == '\0')
        path = CONFIG_DEFAULT_PATH;
    auth_key_new(key);
    auth_key_hash(key, hash);
    if (print_only) {
        printf("%s\nmaster_key_hash = %s\n", key, hash);
        return 0;
    }
    if (ctl_conf_set_master(path, hash) != 0)
        return 1;
    printf("%s\n", key);
    fprintf(stderr, "tempmailctl: master_key_hash written to %s; restart the route binaries"
            " (the web server) to use the new key\n", path);
    return 0;
}

static void ctl_role_print(const char *address, const char *owner, void *arg)
{
    (void)arg;
    printf("%s %s\n", address, *owner ? owner : "(key only)");
}

static int ctl_roles(void)
{
    char re[4096];

    if (address_reserved_regex(cfg.reserved_local_parts, re, sizeof(re)) != 0) {
        fprintf(stderr, "tempmailctl: reserved_local_parts is too long to search for\n");
        return 1;
    }
    DB *db = ctl_db();
    int rc = store_mailbox_each_local(db, re, ctl_role_print, NULL);
    if (rc != 0)
        fprintf(stderr, "tempmailctl: listing role addresses: %s\n", db_error(db));
    db_close(db);
    return rc != 0;
}

static int ctl_stats(void)
{
    STORE_STATS st;
    DB *db = ctl_db();
    if (store_stats(db, &st) != 0) {
        fprintf(stderr, "tempmailctl: counting: %s\n", db_error(db));
        return 1;
    }
    printf("accounts %lld\naccounts_disabled %lld\napi_keys %lld\nsystem_domains %lld\n"
           "custom_domains %lld\nmailboxes %lld\nmessages %lld\nattachments %lld\n"
           "stored_bytes %lld\n", st.accounts, st.accounts_disabled, st.live_keys,
           st.system_domains, st.custom_domains, st.mailboxes, st.messages, st.attachments,
           st.stored_bytes);
    db_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    char err[512];
    const char *config_path = NULL;

    ctl_program_path = argv[0];
    log_open("tempmailctl", 0);
    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        config_path = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (argc < 2 || (argc < 3 && strcmp(argv[1], "purge") != 0 && strcmp(argv[1], "stats") != 0
                      && strcmp(argv[1], "roles") != 0))
        ctl_usage();
    if (auth_init() != 0) {
        fprintf(stderr, "tempmailctl: libsodium failed to initialise\n");
        return 1;
    }
    if (config_load(config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "tempmailctl: %s\n", err);
        return 1;
    }
    if (strcmp(argv[1], "purge") == 0) {
        if (argc != 2)
            ctl_usage();
        return ctl_purge();
    }
    if (strcmp(argv[1], "stats") == 0) {
        if (argc != 2)
            ctl_usage();
        return ctl_stats();
    }
    if (strcmp(argv[1], "roles") == 0) {
        if (argc != 2)
            ctl_usage();
        return ctl_roles();
    }
    const char *noun = argv[1], *verb = argv[2];
    if (strcmp(noun, "db") == 0 && strcmp(verb, "upgrade") == 0) {
        if (argc == 5 && strcmp(argv[3], "--sql-dir") == 0)
            return ctl_db_upgrade(argv[4]);
        if (argc != 3)
            ctl_usage();
        return ctl_db_upgrade(NULL);
    }
    if (strcmp(noun, "db") == 0 && strcmp(verb, "version") == 0 && argc == 3)
        return ctl_db_version();
    if (strcmp(noun, "domain") == 0 && strcmp(verb, "add") == 0 && argc == 4)
        return ctl_domain_add(argv[3]);
    if (strcmp(noun, "domain") == 0 && strcmp(verb, "disable") == 0 && argc == 4)
        return ctl_domain_disable(argv[3]);
    if (strcmp(noun, "master-key") == 0 && strcmp(verb, "set") == 0
        && (argc == 3 || (argc == 4 && strcmp(argv[3], "--print") == 0)))
        return ctl_master_key_set(config_path, argc == 4);
    if (strcmp(noun, "account") == 0 && (strcmp(verb, "tier") == 0 || strcmp(verb, "topup") == 0)
        && argc == 5)
        return ctl_account_change(verb, argv[3], argv[4]);
    if (strcmp(noun, "ratelimit") == 0 && strcmp(verb, "clear") == 0 && argc == 4)
        return ctl_ratelimit_clear(argv[3]);
    if (strcmp(noun, "account") == 0 && strcmp(verb, "create") == 0 && argc >= 4)
        return ctl_account_create(argc - 3, argv + 3);
    ctl_usage();
}
