/* SPDX-License-Identifier: MIT */
/* The child that runs a function inside namespaces (ns-run.h). Apart from
 * ns-run.c because the NIC module (net.c) links it too, and that module
 * knows no container type: it holds a netns descriptor. */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devpass/macro.h"
#include "ns-run.h"

/* Exit status: 1…(RESULT_BASE-1) an errno, RESULT_BASE + n the result n. */
#define RESULT_BASE 200

static const struct {
        int flag;
        const char *name;
} ns_files[] = {
        {CLONE_NEWNS, "ns/mnt"},
        {CLONE_NEWNET, "ns/net"},
};

typedef struct ns_child {
        int fds[ELEMENTSOF(ns_files)];
        const dp_ns_ids *ids;
        int (*fn)(void *arg);
        void *arg;
} ns_child;

/* A file created with host uid 0 in a filesystem of the container's user
 * namespace fails with EOVERFLOW: take the container root's fs ids, then
 * raise the effective capabilities again from the permitted set (leaving
 * fsuid 0 drops them), so that directories owned by other ids inside can
 * still be used. */
static int assume_ids(const dp_ns_ids *ids)
{
        struct __user_cap_header_struct hdr = {
                .version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

        (void)setfsgid(ids->fsgid);
        (void)setfsuid(ids->fsuid);
        if ((uid_t)setfsuid((uid_t)-1) != ids->fsuid ||
            (gid_t)setfsgid((gid_t)-1) != ids->fsgid)
                return -EPERM;
        if (syscall(SYS_capget, &hdr, data) < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(data); i++)
                data[i].effective = data[i].permitted;
        if (syscall(SYS_capset, &hdr, data) < 0)
                return negative_errno();
        return 0;
}

static int child_main(void *arg)
{
        const ns_child *nc = arg;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(ns_files) && r >= 0; i++)
                if (nc->fds[i] >= 0 && setns(nc->fds[i], ns_files[i].flag) < 0)
                        r = negative_errno();
        if (r >= 0 && nc->ids)
                r = assume_ids(nc->ids);
        if (r >= 0)
                r = nc->fn(nc->arg);
        if (r >= 0)
                _exit(RESULT_BASE + (r <= DP_NS_RESULT_MAX ? r : 0));
        _exit(-r > 0 && -r < RESULT_BASE ? -r : EIO);
}

/* The child shares our memory and we sleep until it exits (what
 * posix_spawn does): no page tables to copy, so a grant costs tens of
 * microseconds less than with fork(). It gets its own file table and fs
 * state, and namespaces are per task, so its setns() and fchdir() never
 * reach us. Sanitizers do not know the borrowed stack: fork there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NS_CHILD_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NS_CHILD_FORK 1
#endif
#endif

#ifndef NS_CHILD_FORK
/* Another thread could hold a lock (malloc's) that the child then waits
 * for; fork() resets those, a shared-memory child cannot. /proc/self/task
 * has a link per thread besides "." and "..". */
static bool single_threaded(void)
{
        struct stat st;

        return stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}
#endif

static pid_t fork_child(ns_child *nc)
{
        pid_t pid = fork();

        if (pid == 0)
                child_main(nc);
        return pid;
}

static pid_t spawn_child(ns_child *nc)
{
#ifdef NS_CHILD_FORK
        return fork_child(nc);
#else
        enum { STACK = 256 * 1024 };
        void *stack;
        pid_t pid;

        if (!single_threaded())
                return fork_child(nc);
        stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return -1;
        pid = clone(child_main, (char *)stack + STACK,
                    CLONE_VM | CLONE_VFORK | SIGCHLD, nc);
        (void)munmap(stack, STACK);
        return pid;
#endif
}

int dp_ns_run_fds(int mntfd, int netfd, const dp_ns_ids *ids,
                  int (*fn)(void *arg), void *arg)
{
        ns_child nc = {.fds = {mntfd, netfd}, .ids = ids, .fn = fn, .arg = arg};
        int status, r;
        pid_t pid;

        pid = spawn_child(&nc);
        if (pid < 0)
                return negative_errno();
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
                return -EIO;
        r = WEXITSTATUS(status);
        return r >= RESULT_BASE ? r - RESULT_BASE : -r;
}
