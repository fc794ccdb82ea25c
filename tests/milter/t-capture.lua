-- t-capture.lua: capture, 550 (unknown and expired), leave alone, several mailboxes,
-- mixed recipients, header and body edge cases. Run by tests/milter/run.
local sock = os.getenv("SOCK")
local box, box2 = os.getenv("BOX"), os.getenv("BOX2")
local old, domain = os.getenv("OLD"), os.getenv("DOMAIN")
mt.startfilter(os.getenv("MILTER"), "-f", "-c", os.getenv("CONF"))

local function check(cond, what)
  if not cond then error(what, 2) end
end

local function session()
  local conn = mt.connect(sock, 50, 0.1)
  check(conn, "cannot connect to " .. sock)
  -- No conninfo or HELO: the milter asks the MTA to leave both out (SMFIP_NOCONNECT,
  -- SMFIP_NOHELO), and miltertest refuses to send a step the filter declined.
  return conn
end

-- 1. captured only: stored, both spellings removed from the envelope, DISCARD
local conn = session()
mt.macro(conn, SMFIC_MAIL, "i", "QCAPTURE")
check(mt.mailfrom(conn, "<Sender@Example.org>") == nil, "mailfrom")
check(mt.rcptto(conn, "<" .. box:upper() .. ">") == nil, "rcpt")
check(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt capture")
check(mt.rcptto(conn, "<" .. box .. ">") == nil, "rcpt 2")
check(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt capture, other spelling")
check(mt.data(conn) == nil, "data")
check(mt.getreply(conn) == SMFIR_CONTINUE, "data")
check(mt.header(conn, "From", "=?UTF-8?Q?J=C3=B6rg?= <j@example.org>") == nil, "header")
check(mt.getreply(conn) == SMFIR_CONTINUE, "header")
check(mt.header(conn, "Subject", "t-capture one") == nil, "subject")
check(mt.eoh(conn) == nil, "eoh")
check(mt.getreply(conn) == SMFIR_CONTINUE, "eoh")
check(mt.bodystring(conn, "Your code is 123456.\r\n") == nil, "body")
check(mt.getreply(conn) == SMFIR_CONTINUE, "body")
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_DISCARD, "eom: only captured recipients -> DISCARD")
-- discarded whole: no recipient is removed first (the MTA would only edit a file it deletes)
check(not mt.eom_check(conn, MT_RCPTDELETE, "<" .. box:upper() .. ">"), "no delrcpt 1")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<" .. box .. ">"), "no delrcpt 2")

-- 2. same connection: unknown and expired -> a reply code (550 5.1.1, checked through Postfix
--    in tests/api); other domains and the null
--    sender kept; two mailboxes captured; the others keep the message (CONTINUE)
mt.macro(conn, SMFIC_MAIL, "i", "QMIXED")
check(mt.mailfrom(conn, "<>") == nil, "mailfrom <>")
check(mt.rcptto(conn, "<nobody-here@" .. domain .. ">") == nil, "rcpt unknown")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "unknown mailbox -> reply code")
check(mt.rcptto(conn, "<" .. old .. ">") == nil, "rcpt expired")
check(mt.getreply(conn) == SMFIR_REPLYCODE, "expired mailbox -> reply code")
check(mt.rcptto(conn, "<someone@elsewhere.example>") == nil, "rcpt other")
check(mt.getreply(conn) == SMFIR_CONTINUE, "other domain -> continue")
check(mt.rcptto(conn, "<" .. box .. ">") == nil, "rcpt box")
check(mt.rcptto(conn, "<" .. box2 .. ">") == nil, "rcpt box2")
check(mt.getreply(conn) == SMFIR_CONTINUE, "capture box2")
check(mt.header(conn, "Subject", "t-capture two") == nil, "subject")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, "hi\r\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_CONTINUE, "eom with other recipients -> CONTINUE")
check(mt.eom_check(conn, MT_RCPTDELETE, "<" .. box .. ">"), "delrcpt box")
check(mt.eom_check(conn, MT_RCPTDELETE, "<" .. box2 .. ">"), "delrcpt box2")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<someone@elsewhere.example>"), "other kept")

-- 3. nothing captured: ACCEPT at DATA, headers and body are never seen
mt.macro(conn, SMFIC_MAIL, "i", "QOTHER")
check(mt.mailfrom(conn, "<a@example.org>") == nil, "mailfrom")
check(mt.rcptto(conn, "<x@elsewhere.example>") == nil, "rcpt other")
check(mt.data(conn) == nil, "data")
check(mt.getreply(conn) == SMFIR_ACCEPT, "nothing captured -> ACCEPT at DATA")
mt.disconnect(conn)

-- 4. edge cases, stored: raw 8-bit (Latin-1) header, no Subject at all, bare LF in the body
conn = session()
mt.macro(conn, SMFIC_MAIL, "i", "QEDGE")
check(mt.mailfrom(conn, "<a@example.org>") == nil, "mailfrom")
check(mt.rcptto(conn, "<" .. box2 .. ">") == nil, "rcpt")
check(mt.header(conn, "From", "J\246rg M\252ller <edge@example.org>") == nil, "8-bit From")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, "line one\nline two\n\nend t-capture-edge\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_DISCARD, "edge cases stored -> DISCARD")

-- 5. an abort mid-message, then a clean message on the same connection
check(mt.mailfrom(conn, "<a@example.org>") == nil, "mailfrom")
check(mt.rcptto(conn, "<" .. box .. ">") == nil, "rcpt")
check(mt.header(conn, "Subject", "aborted, never stored") == nil, "header")
check(mt.abort(conn) == nil, "abort")
mt.macro(conn, SMFIC_MAIL, "i", "QAFTER")
check(mt.mailfrom(conn, "<a@example.org>") == nil, "mailfrom")
check(mt.rcptto(conn, "<" .. box .. ">") == nil, "rcpt")
check(mt.header(conn, "Subject", "t-capture after abort") == nil, "header")
check(mt.eoh(conn) == nil, "eoh")
check(mt.bodystring(conn, "ok\r\n") == nil, "body")
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_DISCARD, "after abort -> DISCARD")
mt.disconnect(conn)
mt.echo("t-capture: ok")
