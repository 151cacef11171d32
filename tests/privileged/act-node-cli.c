/* SPDX-License-Identifier: MIT */
/* dpt-act: drives dp_act_node_* for shell tests against any process tree.
 *   dpt-act create|remove|present PID PATH TYPE MAJOR MINOR MODE UID GID
 * Builds the dp_container from /proc/PID (user namespace and id maps), prints
 * "created", "adopted", "removed", "present", "absent" or the errno name, and
 * exits 0 on success, 1 on failure, 2 on usage errors. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devpass/act.h"
#include "devpass/macro.h"

static int read_map(pid_t pid, const char *which, dp_idmap_range **ret,
                    size_t *ret_n)
{
        _cleanup_fclose_ FILE *f = NULL;
        dp_idmap_range *m = NULL;
        unsigned long in, out, count;
        char path[64];
        size_t n = 0;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
                dp_idmap_range *nm = realloc(m, (n + 1) * sizeof(*m));

                if (!nm) {
                        free(m);
                        return -ENOMEM;
                }
                m = nm;
                m[n++] = (dp_idmap_range){(uint32_t)in, (uint32_t)out,
                                          (uint32_t)count};
        }
        *ret = m;
        *ret_n = n;
        return 0;
}

static bool same_userns(pid_t pid)
{
        struct stat a, b;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        if (stat(path, &a) < 0 || stat("/proc/self/ns/user", &b) < 0)
                return true;
        return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int main(int argc, char *argv[])
{
        dp_container c = {.pidfd = -EBADF, .runtime = DP_RUNTIME_PID};
        dp_node_spec spec = {0};
        unsigned long v[5];
        bool created = false;
        const char *verb;
        int r;

        if (argc != 10 || strlen(argv[4]) != 1) {
                fprintf(stderr,
                        "usage: %s create|remove|present PID PATH "
                        "TYPE MAJOR MINOR MODE UID GID\n",
                        argv[0]);
                return 2;
        }
        verb = argv[1];
        c.pid = (pid_t)strtol(argv[2], NULL, 10);
        spec.path = argv[3];
        spec.type = argv[4][0];
        for (int i = 0; i < 5; i++)
                v[i] = strtoul(argv[5 + i], NULL, i == 2 ? 8 : 10);
        spec.major = (unsigned)v[0];
        spec.minor = (unsigned)v[1];
        spec.mode = (unsigned)v[2];
        spec.uid = (uint32_t)v[3];
        spec.gid = (uint32_t)v[4];

        c.pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0);
        if (c.pidfd < 0) {
                printf("%s\n", strerrorname_np(errno));
                return 1;
        }
        c.userns = !same_userns(c.pid);
        if (c.userns &&
            (read_map(c.pid, "uid_map", &c.uid_map, &c.n_uid_map) < 0 ||
             read_map(c.pid, "gid_map", &c.gid_map, &c.n_gid_map) < 0)) {
                printf("cannot read id maps\n");
                return 1;
        }

        if (streq(verb, "create")) {
                r = dp_act_node_create(&c, &spec, &created);
                if (r >= 0)
                        printf("%s\n", created ? "created" : "adopted");
        } else if (streq(verb, "remove")) {
                r = dp_act_node_remove(&c, &spec);
                if (r >= 0)
                        printf("removed\n");
        } else if (streq(verb, "present")) {
                r = dp_act_node_present(&c, &spec);
                if (r >= 0)
                        printf("%s\n", r > 0 ? "present" : "absent");
        } else {
                fprintf(stderr, "unknown verb '%s'\n", verb);
                r = -EINVAL;
        }
        if (r < 0)
                printf("%s\n", strerrorname_np(-r));
        free(c.uid_map);
        free(c.gid_map);
        safe_close(c.pidfd);
        return r < 0 ? 1 : 0;
}
