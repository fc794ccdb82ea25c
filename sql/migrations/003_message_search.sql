-- Issue 11: search of one's own messages by sender, subject and body (GET /api/mail/search).
-- Built without stopwords, so that "com", "www", "about" and the like in addresses and
-- subjects can be searched for too; the server's innodb_ft_min_token_size still applies.
SET SESSION innodb_ft_enable_stopword = OFF;
ALTER TABLE messages ADD FULLTEXT INDEX IF NOT EXISTS messages_search
    (envelope_from, header_from, subject, body_text, body_html);
SET SESSION innodb_ft_enable_stopword = ON;
