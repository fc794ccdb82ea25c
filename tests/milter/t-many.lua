-- t-many.lua: one message to 1,000 managed mailboxes (MANY1..MANY1000 = <n><PREFIX>@<DOMAIN>)
-- and 1,000 recipients elsewhere: every mailbox is captured and removed, the rest kept.
local sock, prefix, domain = os.getenv("SOCK"), os.getenv("PREFIX"), os.getenv("DOMAIN")
mt.startfilter(os.getenv("MILTER"), "-f", "-c", os.getenv("CONF"))
mt.set_timeout(60)
local conn = mt.connect(sock, 50, 0.1)
assert(conn, "cannot connect")
mt.macro(conn, SMFIC_MAIL, "i", "QMANY")
assert(mt.mailfrom(conn, "<bulk@example.org>") == nil)
for i = 1, 1000 do
  assert(mt.rcptto(conn, "<" .. i .. prefix .. "@" .. domain .. ">") == nil)
  assert(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt " .. i)
  assert(mt.rcptto(conn, "<r" .. i .. "@elsewhere.example>") == nil)
  assert(mt.getreply(conn) == SMFIR_CONTINUE, "other " .. i)
end
assert(mt.header(conn, "Subject", "t-many") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "to a thousand mailboxes\r\n") == nil)
assert(mt.eom(conn) == nil)
assert(mt.getreply(conn) == SMFIR_CONTINUE, "others remain -> CONTINUE")
for i = 1, 1000, 111 do
  assert(mt.eom_check(conn, MT_RCPTDELETE, "<" .. i .. prefix .. "@" .. domain .. ">"), "delrcpt " .. i)
end
assert(mt.eom_check(conn, MT_RCPTDELETE, "<1000" .. prefix .. "@" .. domain .. ">"), "delrcpt 1000")
assert(not mt.eom_check(conn, MT_RCPTDELETE, "<r1@elsewhere.example>"), "other kept")
mt.disconnect(conn)
mt.echo("t-many: ok")
