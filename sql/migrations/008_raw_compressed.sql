-- The raw source is stored compressed (MariaDB column compression, zlib). A 4 KB message
-- took about 22 KB of disk: its raw source and its text together are longer than the
-- half page InnoDB keeps in a row, so raw went to a BLOB page of its own (16 KB for 4 KB)
-- and its text filled a third of a page. Compressed, the row fits its page: 5.6 KB a
-- message for smtp-source's body and 8.3 KB for 4 KB of ordinary text (measured on 5,000
-- of each). raw is read only when a client downloads the source, and is never searched or
-- indexed, so its compression costs capture about 30 microseconds a message and nothing
-- else. body_text, html_text (in the FULLTEXT index, which a compressed column cannot be
-- in) and body_html (read by every inbox listing) stay as they are.
--
-- This rebuilds the table (and its FULLTEXT index, with the stopword setting of 007):
-- writes wait meanwhile, so captures answer 451 and are retried. See INSTALL, "Upgrades".
SET SESSION innodb_ft_enable_stopword = OFF;
ALTER TABLE messages MODIFY raw LONGBLOB COMPRESSED NOT NULL;
SET SESSION innodb_ft_enable_stopword = ON;
