/* SPDX-License-Identifier: MIT */
/* devpass-kubelet-plugin's command line and service loop (plugin.c holds
 * the methods). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "devpass/log.h"
#include "devpass/protocol.h"
#include "devpass/util.h"
#include "dra/plugin.h"
#include "dra/slices.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

static volatile int quit;

static void on_idle(void *userdata)
{
        dra_slices_sync(userdata, false);
}

static void on_term(int sig)
{
        quit = 1;
}

static int parse(int argc, char **argv, dra_options *o)
{
        static const struct option opts[] = {
                {"driver", required_argument, NULL, 'd'},
                {"registry-dir", required_argument, NULL, 'r'},
                {"plugin-dir", required_argument, NULL, 'p'},
                {"cdi-dir", required_argument, NULL, 'c'},
                {"kube-api", required_argument, NULL, 'a'},
                {"kube-token", required_argument, NULL, 't'},
                {"kube-ca", required_argument, NULL, 'C'},
                {"node-name", required_argument, NULL, 'n'},
                {"log-level", required_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
                switch (c) {
                case 'd':
                        o->cfg.driver = optarg;
                        break;
                case 'r':
                        o->registry_dir = optarg;
                        break;
                case 'p':
                        o->plugin_dir = optarg;
                        break;
                case 'c':
                        o->cfg.cdi_dir = optarg;
                        break;
                case 'a':
                        o->cfg.api = optarg;
                        break;
                case 't':
                        o->cfg.token_file = optarg;
                        break;
                case 'C':
                        o->cfg.ca_file = optarg;
                        break;
                case 'n':
                        o->cfg.node = optarg;
                        break;
                case 'l':
                        r = log_parse_level(optarg);
                        if (r < 0) {
                                log_error("Invalid log level '%s'", optarg);
                                return 2;
                        }
                        log_set_max_level(r);
                        break;
                case 'h':
                        dra_help();
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind < argc || !o->cfg.driver) {
                log_error(optind < argc ? "Unexpected argument"
                                        : "--driver NAME is required");
                return 2;
        }
        return -1;
}

int main(int argc, char **argv)
{
        dra_options o = {
                .cfg = {.cdi_dir = DP_DEFAULT_CDI_DIR,
                        .api = "https://kubernetes.default.svc",
                        .token_file = SA_DIR "/token",
                        .ca_file = NULL},
                .registry_dir = "/var/lib/kubelet/plugins_registry",
                .plugin_dir = "/var/lib/kubelet/plugins",
        };
        struct sigaction sa = {.sa_handler = on_term};
        dra_server *s = NULL;
        dra_slices *slices = NULL;
        char host[256];
        int r;

        _cleanup_free_ char *in_cluster = NULL;

        log_set_ident("devpass-kubelet-plugin");
        /* in a pod: the API server the kubelet gives every container */
        if (getenv("DEVPASS_KUBE_API"))
                o.cfg.api = getenv("DEVPASS_KUBE_API");
        else if (getenv("KUBERNETES_SERVICE_HOST") &&
                 getenv("KUBERNETES_SERVICE_PORT") &&
                 asprintf(&in_cluster, "https://%s:%s",
                          getenv("KUBERNETES_SERVICE_HOST"),
                          getenv("KUBERNETES_SERVICE_PORT")) >= 0)
                o.cfg.api = in_cluster;
        r = parse(argc, argv, &o);
        if (r >= 0)
                return r;
        /* the downward API's NODE_NAME in a pod, else the host's name */
        if (!o.cfg.node)
                o.cfg.node = getenv("NODE_NAME");
        if (!o.cfg.node && gethostname(host, sizeof(host)) == 0) {
                host[sizeof(host) - 1] = 0;
                o.cfg.node = host;
        }
        if (!o.cfg.node) {
                log_error("No node name (--node-name)");
                return 2;
        }
        if (access(SA_DIR "/ca.crt", R_OK) == 0 && !o.cfg.ca_file)
                o.cfg.ca_file = SA_DIR "/ca.crt";
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        r = dra_serve_open(&o, &s);
        if (r < 0) {
                log_error_errno(r, "Cannot serve DRA driver %s: %m",
                                o.cfg.driver);
                curl_global_cleanup();
                return 1;
        }
        log_info("DRA driver %s: registration %s, endpoint %s", o.cfg.driver,
                 o.reg_socket, o.endpoint);
        r = dra_slices_new(&o.cfg, &slices);
        if (r < 0) {
                log_error_errno(r, "Cannot watch %s: %m", o.cfg.cdi_dir);
                dra_server_free(s);
                return 1;
        }
        dra_slices_sync(slices, true);
        r = dra_server_run(s, &quit, on_idle, slices);
        dra_server_free(s);
        dra_slices_free(slices, true);
        dra_options_done(&o);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
