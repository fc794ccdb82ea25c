-- t-dbdown.lua: the runner's config points this milter at a database that does not
-- answer: a managed-looking recipient gets a reply code, never CONTINUE (451 4.3.0: the
-- runner reads the log, since miltertest shows only that a code was set).
local sock, box = os.getenv("SOCK"), os.getenv("BOX")
mt.startfilter(os.getenv("MILTER"), "-f", "-c", os.getenv("CONF"))
mt.set_timeout(30)
local conn = mt.connect(sock, 50, 0.1)
assert(conn, "cannot connect")
mt.macro(conn, SMFIC_MAIL, "i", "QDOWN")
assert(mt.mailfrom(conn, "<a@example.org>") == nil)
assert(mt.rcptto(conn, "<" .. box .. ">") == nil)
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "database down -> reply code")
mt.disconnect(conn)
mt.echo("t-dbdown: ok")
