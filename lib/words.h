#ifndef TEMPMAIL_WORDS_H
#define TEMPMAIL_WORDS_H

/*++
 * NAME
 *	words 3
 * SUMMARY
 *	whether one text adds words to another, for the search index
 * SYNOPSIS
 *	#include "words.h"
 *
 *	int	words_all_in(const char *words, const char *text);
 * DESCRIPTION
 *	words_all_in() tells whether every word of words is also a word of
 *	text, so that indexing words next to text would add nothing a search
 *	could find: a multipart/alternative message's html usually shows the
 *	words of its text part again, and the FULLTEXT index costs capture
 *	most of its database time.
 *
 *	Words are cut as MariaDB's FULLTEXT parser cuts them, or coarser,
 *	never finer: runs of ASCII letters and digits, '_' and any byte of a
 *	UTF-8 sequence, with an apostrophe between two such characters kept
 *	inside the word. ASCII case is ignored (the index ignores case). Words
 *	of one or two bytes are left out: the index (innodb_ft_min_token_size
 *	3) has none. Coarser cutting and byte-exact comparison of other
 *	letters can only make the answer 0 where the index would see nothing
 *	new; they never make it 1 where the index would miss a word.
 *
 *	A text over 256 KB is not looked at (the answer is 0), so that the
 *	memory this takes stays under 2 MB however large a message is.
 * DIAGNOSTICS
 *	1 when every word is in text (also when words has none), else 0.
 *	Out of memory, or libsodium failing to start, is fatal (log_fatal).
 *--*/

extern int words_all_in(const char *words, const char *text);

#endif
