/* SPDX-License-Identifier: MIT */
/* devpassd --kubelet-plugin DRIVER: runs devpass-kubelet-plugin beside the
 * agent and keeps it running. It is a child process, not a thread: gRPC's
 * threads would break the agent's setns() work and its forks. The plugin
 * reads what the agent exports from the CDI dir, so the two share nothing
 * else; it dies with the agent (PR_SET_PDEATHSIG) and is stopped with it. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/daemon.h"
#include "devpass/log.h"

/* a plugin that keeps failing is restarted at most this often */
#define RESTART_SEC 5

static const char *plugin_path(void)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (n > 0) {
                self[n] = 0;
                if (startswith(self, DEVPASS_BUILD_DIR))
                        return DEVPASS_KUBELET_PLUGIN_BUILD;
        }
        return DEVPASS_KUBELET_PLUGIN;
}

/* The program runs as root with the kubelet's trust: only a root-owned
 * file that nobody else may write to is started. */
static int check_program(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022))
                return -EPERM;
        return 0;
}

static time_t now_sec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

static void spawn(dp_daemon *d)
{
        const char *prog = plugin_path();
        _cleanup_free_ char *reg = NULL, *plugins = NULL;
        pid_t parent = getpid(), pid;
        sigset_t none;
        int r;

        d->kubelet_started = now_sec();
        r = check_program(prog);
        if (r == -ENOENT) {
                /* Debian ships it apart: it pulls in gRPC */
                log_error("Not starting %s: not installed (package "
                          "devpass-kubelet-plugin)",
                          prog);
                return;
        }
        if (r < 0) {
                log_error_errno(r,
                                "Not starting %s: %m (must be a root-owned "
                                "file nobody else can write)",
                                prog);
                return;
        }
        reg = strjoin_sep("/", d->cfg.kubelet_dir, "plugins_registry", NULL);
        plugins = strjoin_sep("/", d->cfg.kubelet_dir, "plugins", NULL);
        if (!reg || !plugins)
                return;
        pid = fork();
        if (pid < 0) {
                log_error_errno(negative_errno(), "fork: %m");
                return;
        }
        if (pid == 0) {
                const char *argv[] = {
                        prog,        "--driver",     d->cfg.kubelet_driver,
                        "--cdi-dir", d->cfg.cdi_dir, "--registry-dir",
                        reg,         "--plugin-dir", plugins,
                        NULL,
                };

                /* the agent blocks these for its signalfd */
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(1); /* the agent died before the prctl */
                execv(prog, (char **)argv);
                _exit(127);
        }
        d->kubelet_pid = pid;
        log_info("DRA driver %s: started %s (pid %d)", d->cfg.kubelet_driver,
                 prog, (int)pid);
}

void dp_kubelet_start(dp_daemon *d)
{
        if (d->cfg.kubelet_driver && d->cfg.cdi_dir)
                spawn(d);
}

void dp_kubelet_tick(dp_daemon *d)
{
        int status;

        if (!d->cfg.kubelet_driver)
                return;
        if (d->kubelet_pid > 0 &&
            waitpid(d->kubelet_pid, &status, WNOHANG) == d->kubelet_pid) {
                dp_daemon_emit(d, "error",
                               "DRA plugin (pid %d) exited with %s %d; "
                               "restarting",
                               (int)d->kubelet_pid,
                               WIFEXITED(status) ? "status" : "signal",
                               WIFEXITED(status) ? WEXITSTATUS(status)
                                                 : WTERMSIG(status));
                d->kubelet_pid = 0;
        }
        if (d->kubelet_pid <= 0 &&
            now_sec() - d->kubelet_started >= RESTART_SEC)
                spawn(d);
}

void dp_kubelet_stop(dp_daemon *d)
{
        if (d->kubelet_pid <= 0)
                return;
        (void)kill(d->kubelet_pid, SIGTERM);
        /* it drains its calls and removes its sockets: give it 2 s */
        for (int i = 0; i < 200; i++) {
                if (waitpid(d->kubelet_pid, NULL, WNOHANG) == d->kubelet_pid) {
                        d->kubelet_pid = 0;
                        return;
                }
                usleep(10000);
        }
        (void)kill(d->kubelet_pid, SIGKILL);
        (void)waitpid(d->kubelet_pid, NULL, 0);
        d->kubelet_pid = 0;
}
