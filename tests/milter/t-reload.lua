-- t-reload.lua: one 2 MiB message to BOX through a milter the runner started itself (with
-- -u and max_message_size = 3 MiB). STEP=before: it is stored (DISCARD); STEP=after (the
-- runner has lowered max_message_size to 1 MiB and sent SIGUSR1): it gets a reply code (552).
local sock, box, step = os.getenv("SOCK"), os.getenv("BOX"), os.getenv("STEP")
mt.set_timeout(60)
local conn = mt.connect(sock, 50, 0.1)
assert(conn, "cannot connect to " .. sock)
mt.macro(conn, SMFIC_MAIL, "i", "QRELOAD")
assert(mt.mailfrom(conn, "<a@example.org>") == nil)
assert(mt.rcptto(conn, "<" .. box .. ">") == nil)
assert(mt.header(conn, "Subject", "t-reload " .. step) == nil)
assert(mt.eoh(conn) == nil)
local chunk = string.rep(string.rep("y", 1022) .. "\r\n", 63)
for _ = 1, math.ceil(2 * 1024 * 1024 / #chunk) do
  assert(mt.bodystring(conn, chunk) == nil)
  if mt.getreply(conn) ~= SMFIR_CONTINUE then break end
end
if step == "before" then
  assert(mt.eom(conn) == nil)
  assert(mt.getreply(conn) == SMFIR_DISCARD, "2 MiB under a 3 MiB limit -> stored, DISCARD")
else
  assert(mt.eom(conn) == nil)       -- no replies during the body (SMFIP_NR_BODY)
  assert(mt.getreply(conn) == SMFIR_REPLYCODE, "2 MiB over a 1 MiB limit -> reply code")
end
mt.disconnect(conn)
mt.echo("t-reload " .. step .. ": ok")
