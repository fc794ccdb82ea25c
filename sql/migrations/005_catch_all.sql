-- Issue 11, point 5: catch-all custom domains. With catch_all set on an active custom
-- domain, mail to any local part of it is taken: the milter creates the mailbox, owned by
-- the domain's owner, with the message (lib/store_message.c). System domains never have it
-- (the route that sets it refuses them).
ALTER TABLE domains ADD COLUMN IF NOT EXISTS catch_all TINYINT(1) NOT NULL DEFAULT 0 AFTER status;
