/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <string.h>

#include "core/audit.h"
#include "core/daemon.h"
#include "ipc/server.h"
#include "devpass/config.h"
#include "devpass/log.h"
#include "devpass/protocol.h"
#include "metrics-http.h"

static void help(void)
{
        printf("devpassd — maps host devices into running system containers\n\n"
               "Usage: devpassd [OPTIONS]\n\n"
               "  --policy-dir DIR    policy dir (repeatable; default %s)\n"
               "  --state-dir DIR     ledger and lock (default %s)\n"
               "  --socket PATH       control socket (default %s)\n"
               "  --log-level LEVEL   err, warning, notice, info, debug "
               "(default info)\n"
               "  --read-group GID    group allowed read-only verbs\n"
               "  --watch REF         also track pid:/cgroup: container REF\n"
               "  --rescan-ms MS      container rescan period (default 1000)\n"
               "  --monitor-rcvbuf B  uevent socket buffer (default 128 MiB)\n"
               "  --cdi-dir DIR       where CDI specs are written (default "
               "%s)\n"
               "  --kubelet-plugin DRIVER  also serve as this Kubernetes DRA "
               "driver\n"
               "  --kubelet-dir DIR   the kubelet's root dir (default "
               "/var/lib/kubelet)\n"
               "  --metrics-listen A  serve /metrics (OpenMetrics) on A: "
               "PORT (loopback),\n"
               "                      ADDR:PORT, [ADDR6]:PORT or unix:PATH\n"
               "  -h, --help          this help\n"
               "  --version           version\n\n"
               "Runs in the foreground. SIGHUP reloads the policy; SIGTERM "
               "exits and leaves grants in place for the next start.\n",
               DEVPASS_POLICY_DIRS, DEVPASS_STATE_DIR, DP_DEFAULT_SOCKET,
               DP_DEFAULT_CDI_DIR);
}

typedef struct args {
        dp_daemon_config cfg;
        char **dirs, **watch;
        const char *metrics_listen;
} args;

static int parse_number(int c, const char *arg, args *a)
{
        unsigned u;

        switch (c) {
        case 'g':
                if (safe_atou(arg, &u) < 0) {
                        log_error("--read-group takes a numeric gid");
                        return 2;
                }
                a->cfg.read_group = u;
                return -1;
        case 'r':
                if (safe_atou(arg, &u) < 0 || u < 10) {
                        log_error("--rescan-ms takes a number >= 10");
                        return 2;
                }
                a->cfg.rescan_ms = u;
                return -1;
        default: /* 'b' */
                if (safe_atou(arg, &u) < 0 || u > INT32_MAX) {
                        log_error("--monitor-rcvbuf takes bytes");
                        return 2;
                }
                a->cfg.monitor_rcvbuf = (int)u;
                return -1;
        }
}

/* The options that name a place: -1 to go on, else the exit code. */
static int parse_place(int c, const char *arg, args *a)
{
        switch (c) {
        case 'c':
                if (arg[0] != '/') {
                        log_error("--cdi-dir takes an absolute path");
                        return 2;
                }
                a->cfg.cdi_dir = arg;
                return -1;
        case 'k':
                /* a path component of the plugin's sockets */
                if (!arg[0] || strchr(arg, '/') || arg[0] == '.') {
                        log_error("--kubelet-plugin takes a driver name "
                                  "(e.g. devpass.io)");
                        return 2;
                }
                a->cfg.kubelet_driver = arg;
                return -1;
        default: /* 'K' */
                if (arg[0] != '/') {
                        log_error("--kubelet-dir takes an absolute path");
                        return 2;
                }
                a->cfg.kubelet_dir = arg;
                return -1;
        }
}

/* One option: -1 to go on, else the exit code. */
static int parse_option(int c, const char *arg, args *a)
{
        int r;

        switch (c) {
        case 'p':
                return strv_extend(&a->dirs, arg) < 0 ? 1 : -1;
        case 's':
                a->cfg.state_dir = arg;
                return -1;
        case 'S':
                a->cfg.socket_path = arg;
                return -1;
        case 'l':
                r = log_parse_level(arg);
                if (r < 0) {
                        log_error("Invalid log level '%s'", arg);
                        return 2;
                }
                log_set_max_level(r);
                return -1;
        case 'g':
        case 'r':
        case 'b':
                return parse_number(c, arg, a);
        case 'c':
        case 'k':
        case 'K':
                return parse_place(c, arg, a);
        case 'w':
                return strv_extend(&a->watch, arg) < 0 ? 1 : -1;
        case 'm':
                a->metrics_listen = arg;
                return -1;
        case 'h':
                help();
                return 0;
        case 'V':
                puts("devpassd " DEVPASS_VERSION);
                return 0;
        case 'T':
                if (dp_config_set_assignment(arg) < 0) {
                        log_error("Bad --test-path '%s'", arg);
                        return 2;
                }
                return -1;
        default:
                return 2;
        }
}

/* -1 to run, else the exit code. */
static int parse_args(int argc, char **argv, args *a)
{
        static const struct option opts[] = {
                {"policy-dir", required_argument, NULL, 'p'},
                {"state-dir", required_argument, NULL, 's'},
                {"socket", required_argument, NULL, 'S'},
                {"log-level", required_argument, NULL, 'l'},
                {"read-group", required_argument, NULL, 'g'},
                {"watch", required_argument, NULL, 'w'},
                {"rescan-ms", required_argument, NULL, 'r'},
                {"monitor-rcvbuf", required_argument, NULL, 'b'},
                {"cdi-dir", required_argument, NULL, 'c'},
                {"kubelet-plugin", required_argument, NULL, 'k'},
                {"kubelet-dir", required_argument, NULL, 'K'},
                {"metrics-listen", required_argument, NULL, 'm'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                /* not in --help: tests point devpass at fake host
                 * interfaces (devpass/config.h) */
                {"test-path", required_argument, NULL, 'T'},
                {},
        };
        _cleanup_free_ char *all = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                if ((r = parse_option(c, optarg, a)) >= 0)
                        return r;
        if (optind < argc) {
                log_error("Unexpected argument '%s'", argv[optind]);
                return 2;
        }
        if (a->dirs)
                return -1;
        all = strdup(DEVPASS_POLICY_DIRS);
        if (!all)
                return 1;
        for (char *s = strtok(all, ":"); s; s = strtok(NULL, ":"))
                if (strv_extend(&a->dirs, s) < 0)
                        return 1;
        return -1;
}

int main(int argc, char **argv)
{
        args a = {.cfg = {.state_dir = DEVPASS_STATE_DIR,
                          .socket_path = DP_DEFAULT_SOCKET,
                          .read_group = -1,
                          .rescan_ms = 1000,
                          .cdi_dir = DP_DEFAULT_CDI_DIR,
                          .kubelet_dir = "/var/lib/kubelet"}};
        dp_daemon *d = NULL;
        dp_ipc_server *srv = NULL;
        dp_metrics_http *metrics = NULL;
        int r;

        log_set_ident("devpassd");
        /* no journald: the audit records go to stderr as JSON lines */
        dp_audit_set_stderr_fallback(true);
        r = parse_args(argc, argv, &a);
        if (r >= 0)
                goto out;
        a.cfg.policy_dirs = a.dirs;
        a.cfg.pinned_refs = a.watch;
        r = dp_daemon_new(&a.cfg, &d);
        if (r >= 0)
                r = dp_ipc_server_new(d, &srv);
        if (r >= 0 && a.metrics_listen)
                r = dp_metrics_http_open(d, a.metrics_listen, a.cfg.read_group,
                                         &metrics);
        if (r >= 0)
                r = dp_daemon_run(d);
        r = r < 0 ? 1 : 0;
out:
        dp_metrics_http_free(metrics);
        dp_ipc_server_free(srv);
        dp_daemon_free(d);
        strv_free(a.dirs);
        strv_free(a.watch);
        return r;
}
