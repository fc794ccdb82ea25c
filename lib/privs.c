/*++
 * NAME
 *	privs 3
 * SUMMARY
 *	the -u USER of the daemons (see privs.h)
 *--*/

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

void privs_drop(const char *user)
{
    errno = 0;
    struct passwd *pw = user != NULL ? getpwnam(user) : NULL;
    if (user != NULL && pw == NULL)
        log_fatal("-u %s: %s", user, errno != 0 ? strerror(errno) : "no such user");
    if (geteuid() != 0) {
        if (pw != NULL && pw->pw_uid != geteuid())
            log_fatal("-u %s: only root can change to another user", user);
        return;
    }
    if (pw == NULL) {
        log_warn("running as root: give -u USER (or systemd User=) to run unprivileged");
        return;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (uid == 0)
        log_fatal("-u %s: that is root", user);
    if (initgroups(user, gid) != 0)
        log_fatal("-u %s: initgroups: %s", user, strerror(errno));
    if (setgid(gid) != 0)
        log_fatal("-u %s: setgid %ld: %s", user, (long)gid, strerror(errno));
    if (setuid(uid) != 0)
        log_fatal("-u %s: setuid %ld: %s", user, (long)uid, strerror(errno));
    if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
        log_fatal("-u %s: privileges not dropped: root is still reachable", user);
    log_info("running as %s (uid %ld, gid %ld)", user, (long)uid, (long)gid);
}
