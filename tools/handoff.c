/* SPDX-License-Identifier: MIT */
/* The client build of devpassctl (DEVPASSCTL_CLIENT) links only libc and
 * json-c, so that a start costs no dynamic loading. Whatever needs the
 * host's devices, the policy files or the state dir is done by
 * devpassctl-local, the full program, given the unchanged command line: its
 * output and exit codes are the ones devpassctl always had. */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define LOCAL_NAME "devpassctl-local"

int ctl_exec_local(const ctl_opts *o)
{
        const char *dir = "this program's directory";
        char self[PATH_MAX];
        ssize_t n;
        int err = ENOENT;

        /* Next to this executable first (the build tree holds both), else
         * where it is installed. Neither PATH nor the environment is
         * consulted: devpassctl runs as root. */
        n = readlink("/proc/self/exe", self, sizeof(self));
        if (n > 0 && (size_t)n < sizeof(self)) {
                char *slash;

                self[n] = 0;
                slash = strrchr(self, '/');
                if (slash && (size_t)(slash + 1 - self) + sizeof(LOCAL_NAME) <=
                                     sizeof(self)) {
                        strcpy(slash + 1, LOCAL_NAME);
                        execv(self, o->argv);
                        err = errno;
                        slash[1] = 0;
                        dir = self;
                }
        }
        execv(DEVPASSCTL_LOCAL_PATH, o->argv);
        if (err == ENOENT)
                err = errno;
        return ctl_fail("cannot run " LOCAL_NAME " (not in %s, not at %s): %s",
                        dir, DEVPASSCTL_LOCAL_PATH, strerror(err));
}

int ctl_check_attach(struct json_object *params)
{
        /* the agent checks them, or devpassctl-local when none answers */
        return CTL_OK;
}

int ctl_local_attach(ctl_opts *o, struct json_object *params,
                     struct json_object **ret_grant)
{
        return ctl_exec_local(o);
}

int ctl_local_detach(ctl_opts *o, struct json_object *params)
{
        return ctl_exec_local(o);
}

int ctl_local_renew(ctl_opts *o, struct json_object *params,
                    struct json_object **ret_grant)
{
        return ctl_exec_local(o);
}

int ctl_local_list(ctl_opts *o, struct json_object **ret_grants)
{
        return ctl_exec_local(o);
}

int ctl_local_explain(ctl_opts *o, struct json_object *params,
                      struct json_object **ret)
{
        return ctl_exec_local(o);
}

int verb_devices(ctl_opts *o)
{
        return ctl_exec_local(o);
}

int verb_policy(ctl_opts *o)
{
        return ctl_exec_local(o);
}
