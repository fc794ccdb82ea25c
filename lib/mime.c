/*++
 * NAME
 *	mime 3
 * SUMMARY
 *	raw RFC 5322 message to the fields tempmail stores (see mime.h)
 * DESCRIPTION
 *	A thin layer over GMime 3: the library parses, decodes transfer
 *	encodings and RFC 2047/2231 words, and converts charsets; this file only
 *	chooses which parts matter and copies the results into plain malloc'd
 *	C strings, so callers never see a GLib type.
 *
 *	Which parts matter: the walk (g_mime_message_foreach) visits every leaf
 *	of nested multiparts (mixed, alternative, related, ...). A leaf with a
 *	filename or Content-Disposition: attachment is an attachment; otherwise
 *	the first text/plain becomes text and the first text/html becomes html.
 *	An embedded message (message/rfc822) is kept whole as an attachment:
 *	its own text is not the text of the outer message.
 *
 *	Every string handed back is valid UTF-8, because the database columns
 *	are utf8mb4 in strict mode and would refuse anything else. Text that is
 *	not valid UTF-8 after GMime's conversion is read as windows-1252 when
 *	the part declared no charset (the usual case of 8-bit mail from old
 *	clients), otherwise invalid bytes become U+FFFD.
 *
 *	A message in a file (mime_parse_fd) is parsed in GMime's persistent
 *	mode, so only headers and the parts asked for are ever read into memory;
 *	large attachments are decoded file to file.
 * DIAGNOSTICS
 *	mime_parse() returns NULL only when memory runs out; mime_parse_fd() also
 *	when a temporary file cannot be made or written. Malformed input
 *	gives empty strings, never an error: capture must not fail because a
 *	sender wrote bad MIME.
 *--*/

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime.h"

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *mime_options;

static void mime_init_once(void)
{
    /*
     * Headers with raw 8-bit bytes and no RFC 2047 wrapping are common in
     * spam and old clients; GMime tries these charsets in order. UTF-8 first
     * (modern senders), then windows-1252, a superset of iso-8859-1 that
     * matches what such mail nearly always is.
     */
    static const char *fallback[] = { "UTF-8", "windows-1252", NULL };

    g_mime_init();
    mime_options = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(mime_options, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(mime_options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(mime_options, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(mime_options, GMIME_RFC_COMPLIANCE_LOOSE);
}

void mime_init(void)
{
    pthread_once(&mime_once, mime_init_once);
}

/* A malloc'd valid-UTF-8 copy of s (NULL: ""); NULL only when memory runs out. */
static char *mime_utf8_dup(const char *s, int guess_legacy)
{
    if (s == NULL)
        s = "";
    if (g_utf8_validate(s, -1, NULL))
        return strdup(s);

    gchar *fixed = NULL;
    if (guess_legacy)
        fixed = g_convert_with_fallback(s, -1, "UTF-8", "windows-1252", "?", NULL, NULL, NULL);
    if (fixed == NULL)
        fixed = g_utf8_make_valid(s, -1);
    char *copy = strdup(fixed);
    g_free(fixed);
    return copy;
}

/* Like mime_utf8_dup, but takes a g_malloc'd string and frees it. */
static char *mime_utf8_take(gchar *s, int guess_legacy)
{
    char *copy = mime_utf8_dup(s, guess_legacy);
    g_free(s);
    return copy;
}

/* Everything the walk over the parts collects; oom records a failed allocation. */
struct mime_walk {
    MIME_MESSAGE *msg;
    size_t cap_attachments;
    int spill_ok;               /* large attachments may go to temporary files */
    const char *tmpdir;
    int oom;
};

/* An unlinked temporary file opened for reading and writing, or NULL. */
static FILE *mime_tmpfile(const char *tmpdir)
{
    if (tmpdir == NULL || *tmpdir == '\0')
        tmpdir = getenv("TMPDIR");
    if (tmpdir == NULL || *tmpdir == '\0')
        tmpdir = "/tmp";
    char *path = g_strdup_printf("%s/tempmail-att.XXXXXX", tmpdir);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0)
        unlink(path);           /* the descriptor keeps it; a crash leaves nothing */
    g_free(path);
    if (fd < 0)
        return NULL;
    FILE *fp = fdopen(fd, "w+");
    if (fp == NULL)
        close(fd);
    return fp;
}

/* The size of a part's content as it sits in the message (still encoded), or -1. */
static gint64 mime_encoded_length(GMimeObject *object)
{
    if (!GMIME_IS_PART(object))
        return -1;              /* an attached message: unknown until written out */
    GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(object));
    GMimeStream *stream = content ? g_mime_data_wrapper_get_stream(content) : NULL;
    return stream ? g_mime_stream_length(stream) : 0;
}

/* Write the decoded bytes of a part (transfer encoding undone) to out. */
static void mime_decode_to(GMimeObject *object, GMimeStream *out)
{
    if (GMIME_IS_PART(object)) {
        GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(object));
        if (content != NULL)
            g_mime_data_wrapper_write_to_stream(content, out);
    } else if (GMIME_IS_MESSAGE_PART(object)) {
        /* An attached message: its source, as a user would save it (.eml). */
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        if (inner != NULL)
            g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, out);
    }
    g_mime_stream_flush(out);
}

/*
 * Decode a large part into a temporary file: att->spill and att->size, or
 * -1 when the file could not be made or written.
 */
static int mime_decode_to_file(GMimeObject *object, MIME_ATTACHMENT *att, const char *tmpdir)
{
    FILE *fp = mime_tmpfile(tmpdir);
    if (fp == NULL)
        return -1;
    GMimeStream *fs = g_mime_stream_fs_new(fileno(fp));
    g_mime_stream_fs_set_owner(GMIME_STREAM_FS(fs), FALSE);
    mime_decode_to(object, fs);
    g_object_unref(fs);
    off_t end = lseek(fileno(fp), 0, SEEK_END);
    if (end < 0) {
        fclose(fp);
        return -1;
    }
    att->spill = fp;
    att->size = (size_t)end;
    return 0;
}


static void mime_add_attachment(struct mime_walk *walk, GMimeObject *object, const char *filename)
{
    MIME_MESSAGE *msg = walk->msg;

    if (msg->n_attachments == walk->cap_attachments) {
        size_t cap = walk->cap_attachments ? walk->cap_attachments * 2 : 4;
        MIME_ATTACHMENT *grown = realloc(msg->attachments, cap * sizeof(*grown));
        if (grown == NULL) {
            walk->oom = 1;
            return;
        }
        msg->attachments = grown;
        walk->cap_attachments = cap;
    }

    MIME_ATTACHMENT *att = &msg->attachments[msg->n_attachments];
    memset(att, 0, sizeof(*att));

    GMimeContentType *ct = g_mime_object_get_content_type(object);
    gchar *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
    att->content_type = mime_utf8_take(type ? type : g_strdup("application/octet-stream"), 0);
    att->filename = mime_utf8_dup(filename, 1);

    gint64 encoded = walk->spill_ok ? mime_encoded_length(object) : 0;
    if (encoded < 0 || encoded > MIME_SPILL) {
        /* A file failure counts as out of memory: the milter tempfails and the MTA retries. */
        if (mime_decode_to_file(object, att, walk->tmpdir) != 0)
            walk->oom = 1;
    } else {
        GMimeStream *mem = g_mime_stream_mem_new();
        mime_decode_to(object, mem);
        GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        att->size = bytes ? bytes->len : 0;
        /* Never NULL, even when empty: the store binds it as a NOT NULL blob. */
        att->data = malloc(att->size ? att->size : 1);
        if (att->data != NULL && att->size > 0)
            memcpy(att->data, bytes->data, att->size);
        else if (att->data == NULL)
            walk->oom = 1;
        g_object_unref(mem);
    }

    if (att->content_type == NULL || att->filename == NULL || walk->oom) {
        free(att->content_type);
        free(att->filename);
        free(att->data);
        if (att->spill != NULL)
            fclose(att->spill);
        walk->oom = 1;
        return;
    }
    msg->n_attachments++;
}

/*
 * The first MIME_TEXT_MAX bytes of a large text part, decoded through a temporary
 * file so that the whole part never sits in memory, then made UTF-8 like any other
 * (a character cut at the end becomes U+FFFD). NULL only when memory runs out; ""
 * when the file could not be made.
 */
static char *mime_text_prefix(GMimeObject *part, const char *tmpdir, int declared)
{
    MIME_ATTACHMENT decoded = { 0 };

    if (mime_decode_to_file(part, &decoded, tmpdir) != 0)
        return strdup("");
    size_t want = decoded.size < MIME_TEXT_MAX ? decoded.size : MIME_TEXT_MAX;
    char *buf = malloc(want + 1);
    ssize_t got = buf ? pread(fileno(decoded.spill), buf, want, 0) : -1;
    fclose(decoded.spill);
    if (buf == NULL)
        return NULL;
    buf[got > 0 ? got : 0] = '\0';

    const char *charset = g_mime_object_get_content_type_parameter(part, "charset");
    if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0
        && g_ascii_strcasecmp(charset, "us-ascii") != 0) {
        gchar *converted = g_convert_with_fallback(buf, -1, "UTF-8",
                                                   g_mime_charset_iconv_name(charset), "?",
                                                   NULL, NULL, NULL);
        if (converted != NULL) {
            free(buf);
            return mime_utf8_take(converted, 0);
        }
    }
    char *text = mime_utf8_dup(buf, !declared);
    free(buf);
    return text;
}

static void mime_visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
    struct mime_walk *walk = data;
    MIME_MESSAGE *msg = walk->msg;

    (void)parent;
    if (walk->oom)
        return;

    if (GMIME_IS_MESSAGE_PART(part)) {
        const char *name = g_mime_object_get_content_disposition_parameter(part, "filename");
        if (name == NULL)
            name = g_mime_object_get_content_type_parameter(part, "name");
        mime_add_attachment(walk, part, name);
        return;
    }
    if (!GMIME_IS_PART(part))
        return;                         /* multiparts: foreach visits their children */

    GMimePart *leaf = GMIME_PART(part);
    const char *filename = g_mime_part_get_filename(leaf);
    if (filename != NULL || g_mime_part_is_attachment(leaf)) {
        mime_add_attachment(walk, part, filename);
        return;
    }
    if (!GMIME_IS_TEXT_PART(part))
        return;                         /* an inline image without a name: nothing to show */

    GMimeContentType *ct = g_mime_object_get_content_type(part);
    char **slot = NULL;
    if (g_mime_content_type_is_type(ct, "text", "plain"))
        slot = &msg->text;
    else if (g_mime_content_type_is_type(ct, "text", "html"))
        slot = &msg->html;
    if (slot == NULL || *slot != NULL)
        return;                         /* not wanted, or not the first of its kind */

    int declared = g_mime_object_get_content_type_parameter(part, "charset") != NULL;
    if (walk->spill_ok && mime_encoded_length(part) > MIME_TEXT_MAX)
        *slot = mime_text_prefix(part, walk->tmpdir, declared);
    else
        *slot = mime_utf8_take(g_mime_text_part_get_text(GMIME_TEXT_PART(part)), !declared);
    if (*slot == NULL)
        walk->oom = 1;
}

/* The From header, decoded: "Name <a@b>" or "a@b". */
static char *mime_from(GMimeMessage *message)
{
    InternetAddressList *from = g_mime_message_get_from(message);

    if (from == NULL || internet_address_list_length(from) == 0)
        return mime_utf8_dup(g_mime_object_get_header(GMIME_OBJECT(message), "From"), 1);
    return mime_utf8_take(internet_address_list_to_string(from, NULL, FALSE), 1);
}

void mime_from_split(const char *from, char *addr, size_t addr_len, char *name, size_t name_len)
{
    InternetAddressList *list;
    InternetAddress *first = NULL;

    mime_init();
    *addr = *name = '\0';
    if (from == NULL || *from == '\0')
        return;
    if ((list = internet_address_list_parse(NULL, from)) != NULL
        && internet_address_list_length(list) > 0)
        first = internet_address_list_get_address(list, 0);
    if (first != NULL && INTERNET_ADDRESS_IS_MAILBOX(first)) {
        const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(first));
        const char *n = internet_address_get_name(first);
        snprintf(addr, addr_len, "%s", a != NULL ? a : "");
        snprintf(name, name_len, "%s", n != NULL ? n : "");
    }
    if (list != NULL)
        g_object_unref(list);
    if (*addr == '\0' && strchr(from, '@') != NULL && strpbrk(from, "<> \t\"") == NULL)
        snprintf(addr, addr_len, "%s", from);   /* a bare address GMime would not take */
}

/* mime_free, also used on half-built messages: any field may be NULL. */
void mime_free(MIME_MESSAGE *msg)
{
    if (msg == NULL)
        return;
    free(msg->from);
    free(msg->subject);
    free(msg->message_id);
    free(msg->text);
    free(msg->html);
    for (size_t i = 0; i < msg->n_attachments; i++) {
        free(msg->attachments[i].filename);
        free(msg->attachments[i].content_type);
        free(msg->attachments[i].data);
        if (msg->attachments[i].spill != NULL)
            fclose(msg->attachments[i].spill);
    }
    free(msg->attachments);
    free(msg);
}

/*
 * The common part of mime_parse() and mime_parse_fd(): stream (NULL: an empty
 * message) is read from its start; it is unreferenced before this returns.
 */
static MIME_MESSAGE *mime_parse_stream(GMimeStream *stream, int spill_ok, const char *tmpdir)
{
    MIME_MESSAGE *msg = calloc(1, sizeof(*msg));
    if (msg == NULL) {
        if (stream != NULL)
            g_object_unref(stream);
        return NULL;
    }

    mime_init();                        /* cheap after the first call; guards forgetful callers */

    GMimeMessage *message = NULL;
    if (stream != NULL) {
        /*
         * GMime persists a seekable stream by default: parts keep offsets into
         * it instead of copies, so a file-backed message stays on disk.
         */
        GMimeParser *parser = g_mime_parser_new_with_stream(stream);
        g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
        message = g_mime_parser_construct_message(parser, mime_options);
        g_object_unref(parser);
        g_object_unref(stream);         /* the message holds its own reference */
    }

    struct mime_walk walk = { .msg = msg, .spill_ok = spill_ok, .tmpdir = tmpdir };
    if (message != NULL) {
        msg->from = mime_from(message);
        msg->subject = mime_utf8_dup(g_mime_message_get_subject(message), 1);
        msg->message_id = mime_utf8_dup(g_mime_message_get_message_id(message), 1);
        if (msg->from == NULL || msg->subject == NULL || msg->message_id == NULL)
            walk.oom = 1;
        else
            g_mime_message_foreach(message, mime_visit, &walk);
        g_object_unref(message);
    }

    /* Absent fields are empty strings, never NULL. */
    char **fields[] = { &msg->from, &msg->subject, &msg->message_id, &msg->text, &msg->html };
    for (size_t i = 0; !walk.oom && i < sizeof(fields) / sizeof(fields[0]); i++)
        if (*fields[i] == NULL && (*fields[i] = strdup("")) == NULL)
            walk.oom = 1;

    if (walk.oom) {
        mime_free(msg);
        return NULL;
    }
    return msg;
}

MIME_MESSAGE *mime_parse(const char *raw, size_t len)
{
    GMimeStream *stream = NULL;

    mime_init();
    /* The stream copies raw: GMime never writes to or outlives the caller's buffer. */
    if (raw != NULL && len > 0)
        stream = g_mime_stream_mem_new_with_buffer(raw, len);
    return mime_parse_stream(stream, 0, NULL);
}

MIME_MESSAGE *mime_parse_fd(int fd, const char *tmpdir)
{
    mime_init();
    /* The fs stream reads and seeks fd itself; it must not close the caller's descriptor. */
    if (lseek(fd, 0, SEEK_SET) != 0)
        return NULL;
    GMimeStream *stream = g_mime_stream_fs_new(fd);
    g_mime_stream_fs_set_owner(GMIME_STREAM_FS(stream), FALSE);
    return mime_parse_stream(stream, 1, tmpdir);
}
