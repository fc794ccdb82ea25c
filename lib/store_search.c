/*++
 * NAME
 *	store_search 3
 * SUMMARY
 *	search of an account's messages with the FULLTEXT index (see store.h)
 * DESCRIPTION
 *	The client's words never reach MariaDB's boolean-mode syntax as they
 *	are: each white-space separated term is cut into tokens of letters and
 *	digits (bytes of UTF-8 letters kept), tokens shorter than the server's
 *	innodb_ft_min_token_size (STORE_SEARCH_MIN_TOKEN) are dropped, and the
 *	term becomes +token* (one token: a prefix) or +"token token" (an
 *	address or a hyphenated word: a phrase). Every term must match.
 *	The index is sql/migrations/003_message_search.sql, on the visible
 *	text of the html (html_text) since 007_search_html_text.sql: markup,
 *	class names and styles are not words of a message. Capture leaves
 *	html_text empty when the html shows no word the text part lacks
 *	(words(3)): every word is then found through the text. A phrase
 *	whose words stand together only in the html's layout is the one
 *	thing such a message does not match.
 *--*/

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_rows.h"

#define STORE_SEARCH_MIN_TOKEN  3

static int store_search_tokenchar(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* The boolean-mode query for q in out; 0, or -1 when q has no usable token. */
static int store_search_terms(const char *q, char *out, size_t len)
{
    size_t o = 0;
    int terms = 0;

    out[0] = '\0';
    for (const char *p = q; *p; ) {
        while (*p && isspace((unsigned char)*p))
            p++;
        const char *term_end = p;
        while (*term_end && !isspace((unsigned char)*term_end))
            term_end++;
        /* The tokens of one term, space-separated, in tok. */
        char tok[512];
        size_t t = 0;
        int ntok = 0;
        for (const char *s = p; s < term_end; ) {
            while (s < term_end && !store_search_tokenchar((unsigned char)*s))
                s++;
            const char *start = s;
            while (s < term_end && store_search_tokenchar((unsigned char)*s))
                s++;
            size_t n = (size_t)(s - start);
            if (n >= STORE_SEARCH_MIN_TOKEN && t + n + 2 < sizeof(tok)) {
                if (t)
                    tok[t++] = ' ';
                memcpy(tok + t, start, n);
                t += n;
                ntok++;
            }
        }
        tok[t] = '\0';
        p = term_end;
        if (ntok == 0)
            continue;
        int n = snprintf(out + o, len - o, ntok == 1 ? "%s+%s*" : "%s+\"%s\"", o ? " " : "", tok);
        if (n < 0 || (size_t)n >= len - o)
            break;                  /* the terms that fit */
        o += (size_t)n;
        terms++;
    }
    return terms > 0 ? 0 : -1;
}

int store_messages_search(DB *db, unsigned long long account_id, const char *address,
                          const char *query, long page, long per_page,
                          STORE_MESSAGE **messages, size_t *count)
{
    DB_RESULT *res;
    char terms[1024];

    *messages = NULL;
    *count = 0;
    if (store_search_terms(query, terms, sizeof(terms)) != 0)
        return STORE_NOTFOUND;
    int rc = db_query(db, &res,
                      "SELECT " STORE_MESSAGE_COLUMNS
                      " FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id"
                      " WHERE b.account_id = ? AND (? IS NULL OR b.address = ?)"
                      " AND (b.expires_at IS NULL OR b.expires_at > UTC_TIMESTAMP(3))"
                      " AND m.expires_at > UTC_TIMESTAMP(3)"
                      " AND MATCH (m.envelope_from, m.header_from, m.subject, m.body_text,"
                      " m.html_text) AGAINST (? IN BOOLEAN MODE)"
                      " ORDER BY m.received_at DESC, m.id DESC LIMIT ? OFFSET ?",
                      "usssii", account_id, address, address, terms, (long long)per_page,
                      (long long)(page - 1) * per_page);
    if (rc != 0)
        return rc;
    store_messages_from_result(res, messages, count);
    db_result_free(res);
    return 0;
}
