/*++
 * NAME
 *	fuzz_mime 1
 * SUMMARY
 *	libFuzzer harness: a raw message as received over SMTP (mime_parse)
 * DESCRIPTION
 *	mime_parse() (lib/mime.c, GMime) over any bytes. Its contract: never
 *	NULL but for memory, every string field non-NULL and NUL-terminated,
 *	every attachment with a name, a type and size bytes of data. Then what
 *	capture does next with the bodies (store_message.c): the html's visible
 *	text (extract_html_text) and whether it adds words to the text part
 *	(words_all_in), which must hold of any text against itself.
 *--*/

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "mime.h"
#include "words.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mime_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MIME_MESSAGE *msg = mime_parse((const char *)data, size);

    if (msg == NULL)
        abort();
    if (!msg->from || !msg->subject || !msg->message_id || !msg->text || !msg->html)
        abort();
    (void)(strlen(msg->from) + strlen(msg->subject) + strlen(msg->message_id)
           + strlen(msg->text) + strlen(msg->html));
    for (size_t i = 0; i < msg->n_attachments; i++) {
        const MIME_ATTACHMENT *a = &msg->attachments[i];
        if (!a->filename || !a->content_type || (a->size && !a->data))
            abort();
        (void)(strlen(a->filename) + strlen(a->content_type));
        if (a->size)
            (void)(volatile unsigned char)a->data[a->size - 1];
    }
    EXTRACT_BUF shown = { 0 };
    extract_html_text(msg->html, &shown);
    const char *html_text = shown.data ? shown.data : "";
    (void)words_all_in(html_text, msg->text);
    if (!words_all_in(html_text, html_text) || !words_all_in(msg->text, msg->text))
        abort();
    free(shown.data);
    mime_free(msg);
    return 0;
}
