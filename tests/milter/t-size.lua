-- t-size.lua: with max_message_size = 3 MiB (the runner's config), a 2 MiB message is
-- captured (it passes the 1 MiB memory buffer and goes to a file); a 4 MiB one gets a reply
-- code (552 5.3.4: miltertest shows only that a code was set; the runner reads the log).
local sock, box = os.getenv("SOCK"), os.getenv("BOX")
mt.startfilter(os.getenv("MILTER"), "-f", "-c", os.getenv("CONF"))
mt.set_timeout(60)

local function message(subject, bytes)
  local conn = mt.connect(sock, 50, 0.1)
  assert(conn, "cannot connect")
  mt.macro(conn, SMFIC_MAIL, "i", "QSIZE")
  assert(mt.mailfrom(conn, "<a@example.org>") == nil)
  assert(mt.rcptto(conn, "<" .. box .. ">") == nil)
  assert(mt.header(conn, "Subject", subject) == nil)
  assert(mt.eoh(conn) == nil)
  local line = string.rep("x", 1022) .. "\r\n"
  local chunk = string.rep(line, 63)          -- 63 KiB: libmilter takes at most 64 KiB a packet
  for _ = 1, math.ceil(bytes / #chunk) do
    assert(mt.bodystring(conn, chunk) == nil)
    if mt.getreply(conn) ~= SMFIR_CONTINUE then break end
  end
  return conn
end

local conn = message("t-size 2 MiB", 2 * 1024 * 1024)
assert(mt.eom(conn) == nil)
assert(mt.getreply(conn) == SMFIR_DISCARD, "2 MiB message -> stored, DISCARD")
mt.disconnect(conn)

-- The body streams without replies (SMFIP_NR_BODY): the verdict comes at end of message.
conn = message("t-size 4 MiB", 4 * 1024 * 1024)
assert(mt.eom(conn) == nil)
assert(mt.getreply(conn) == SMFIR_REPLYCODE, "4 MiB message -> reply code")
mt.disconnect(conn)
mt.echo("t-size: ok")
