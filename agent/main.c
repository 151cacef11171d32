/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <string.h>

#include "core/audit.h"
#include "core/daemon.h"
#include "ipc/server.h"
#include "metrics-http.h"
#include "devpass/log.h"
#include "devpass/protocol.h"

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

int main(int argc, char **argv)
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
                {},
        };
        _cleanup_strv_free_ char **dirs = NULL, **watch = NULL;
        dp_daemon_config cfg = {.state_dir = DEVPASS_STATE_DIR,
                                .socket_path = DP_DEFAULT_SOCKET,
                                .read_group = -1,
                                .rescan_ms = 1000,
                                .cdi_dir = DP_DEFAULT_CDI_DIR,
                                .kubelet_dir = "/var/lib/kubelet"};
        dp_daemon *d = NULL;
        dp_ipc_server *srv = NULL;
        dp_metrics_http *metrics = NULL;
        const char *metrics_listen = NULL;
        unsigned u;
        int c, r;

        log_set_ident("devpassd");
        /* no journald: the audit records go to stderr as JSON lines */
        dp_audit_set_stderr_fallback(true);
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        if (strv_extend(&dirs, optarg) < 0)
                                return 1;
                        break;
                case 's':
                        cfg.state_dir = optarg;
                        break;
                case 'S':
                        cfg.socket_path = optarg;
                        break;
                case 'l':
                        r = log_parse_level(optarg);
                        if (r < 0) {
                                log_error("Invalid log level '%s'", optarg);
                                return 2;
                        }
                        log_set_max_level(r);
                        break;
                case 'g':
                        if (safe_atou(optarg, &u) < 0) {
                                log_error("--read-group takes a numeric gid");
                                return 2;
                        }
                        cfg.read_group = u;
                        break;
                case 'w':
                        if (strv_extend(&watch, optarg) < 0)
                                return 1;
                        break;
                case 'r':
                        if (safe_atou(optarg, &u) < 0 || u < 10) {
                                log_error("--rescan-ms takes a number >= 10");
                                return 2;
                        }
                        cfg.rescan_ms = u;
                        break;
                case 'b':
                        if (safe_atou(optarg, &u) < 0 || u > INT32_MAX) {
                                log_error("--monitor-rcvbuf takes bytes");
                                return 2;
                        }
                        cfg.monitor_rcvbuf = (int)u;
                        break;
                case 'c':
                        if (optarg[0] != '/') {
                                log_error("--cdi-dir takes an absolute path");
                                return 2;
                        }
                        cfg.cdi_dir = optarg;
                        break;
                case 'k':
                        /* a path component of the plugin's sockets */
                        if (!optarg[0] || strchr(optarg, '/') ||
                            optarg[0] == '.') {
                                log_error("--kubelet-plugin takes a driver "
                                          "name (e.g. devpass.io)");
                                return 2;
                        }
                        cfg.kubelet_driver = optarg;
                        break;
                case 'K':
                        if (optarg[0] != '/') {
                                log_error("--kubelet-dir takes an absolute "
                                          "path");
                                return 2;
                        }
                        cfg.kubelet_dir = optarg;
                        break;
                case 'm':
                        metrics_listen = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        puts("devpassd " DEVPASS_VERSION);
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind < argc) {
                log_error("Unexpected argument '%s'", argv[optind]);
                return 2;
        }
        if (!dirs) {
                _cleanup_free_ char *all = strdup(DEVPASS_POLICY_DIRS);

                if (!all)
                        return 1;
                for (char *s = strtok(all, ":"); s; s = strtok(NULL, ":"))
                        if (strv_extend(&dirs, s) < 0)
                                return 1;
        }
        cfg.policy_dirs = dirs;
        cfg.pinned_refs = watch;
        r = dp_daemon_new(&cfg, &d);
        if (r < 0)
                return 1;
        r = dp_ipc_server_new(d, &srv);
        if (r >= 0 && metrics_listen)
                r = dp_metrics_http_open(d, metrics_listen, cfg.read_group,
                                         &metrics);
        if (r >= 0)
                r = dp_daemon_run(d);
        dp_metrics_http_free(metrics);
        dp_ipc_server_free(srv);
        dp_daemon_free(d);
        return r < 0 ? 1 : 0;
}
