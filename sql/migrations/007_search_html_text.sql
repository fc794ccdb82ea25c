-- Search looks at what a reader of an HTML message sees, not at its markup. The FULLTEXT
-- index of 003 covered body_html as stored, so "padding", "helvetica" or a CSS class name
-- found every HTML message that used them, and MariaDB tokenized all that markup at every
-- capture. html_text is the visible text of body_html (tags, comments, script and style
-- dropped, character references decoded: extract_html_text(), written by the milter with
-- the row), and the index covers it in place of body_html.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS html_text MEDIUMTEXT NOT NULL DEFAULT '' AFTER body_html;

-- Messages stored before: their tags turned into spaces here, the nearest SQL comes (style
-- and script contents and character references stay as they are in these old rows).
UPDATE messages SET html_text = REGEXP_REPLACE(body_html, '<[^>]*>', ' ')
    WHERE body_html <> '' AND html_text = '';

SET SESSION innodb_ft_enable_stopword = OFF;
ALTER TABLE messages DROP INDEX IF EXISTS messages_search,
    ADD FULLTEXT INDEX messages_search (envelope_from, header_from, subject, body_text, html_text);
SET SESSION innodb_ft_enable_stopword = ON;
