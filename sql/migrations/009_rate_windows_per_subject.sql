-- A rate window begins at a subject's first request, not at the clock's hour (ratelimit(3)):
-- one row a subject, its window_start the start of its current window. Of the clock-hour
-- rows a subject has, the newest is kept as its window; the older ones have ended. Safe to
-- run again: the DELETE then finds nothing, and the key is rebuilt as it is.
DELETE older FROM rate_counters older
  JOIN rate_counters newer ON newer.subject = older.subject AND newer.window_start > older.window_start;
ALTER TABLE rate_counters DROP PRIMARY KEY, ADD PRIMARY KEY (subject);
ALTER TABLE rate_counters ADD INDEX IF NOT EXISTS window_start (window_start);
