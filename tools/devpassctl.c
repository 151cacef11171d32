/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>

#include "ctl.h"
#include "devpass/config.h"
#include "devpass/log.h"
#include "devpass/protocol.h"

int ctl_fail(const char *fmt, ...)
{
        va_list ap;

        fputs("devpassctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return CTL_FAIL;
}

int ctl_usage(const char *fmt, ...)
{
        va_list ap;

        fputs("devpassctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'devpassctl --help'.\n", stderr);
        return CTL_USAGE;
}

void ctl_print_json(json_object *o)
{
        puts(json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                           JSON_C_TO_STRING_NOSLASHESCAPE));
}

int ctl_call_agent(const ctl_opts *o, const char *method, json_object *params,
                   json_object **ret_reply)
{
        int r = dp_ipc_call(o->socket, method, params, ret_reply);

#ifdef DEVPASSCTL_CLIENT
        /* connect() failed, so no agent saw the request: devpassctl-local
         * acts alone or says why, and checks the command line first as it
         * always has (an invalid attach option stays a usage error) */
        switch (-r) {
        case ENOENT:
        case ECONNREFUSED:
        case ENOTDIR:
        case ELOOP:
        case ENAMETOOLONG:
        case EACCES:
        case EPERM:
                return -ctl_exec_local(o);
        }
#endif
        if (r == -ENOENT || r == -ECONNREFUSED)
                return 0;
        if (r == -EACCES || r == -EPERM)
                return -ctl_fail("%s: permission denied (the agent's socket is "
                                 "for root)",
                                 o->socket);
        if (r < 0)
                return -ctl_fail("talking to devpassd at %s: %s", o->socket,
                                 strerror(-r));
        return 1;
}

static void help(void)
{
        printf("devpassctl — pass host devices into running containers\n\n"
               "Usage: devpassctl [GLOBAL OPTIONS] VERB [ARGS] [OPTIONS]\n\n"
               "Verbs:\n"
               "  devices [--json]                 host devices, classified\n"
               "  explain DEVICE [--json]          which rule matches, who "
               "gets it\n"
               "  attach CONTAINER DEVICE [--path P] [--mode M] [--owner UID]\n"
               "         [--group GID] [--access rwm] [--name IFNAME] "
               "[--for DURATION]\n"
               "         [--json]\n"
               "  detach CONTAINER DEVICE\n"
               "  renew CONTAINER DEVICE --for DURATION [--json]\n"
               "                                   a lease now ends DURATION "
               "from now\n"
               "  list [--json]                    current grants\n"
               "  monitor [--json]                 live events and decisions\n"
               "  policy check [FILE|DIR...]       validate policy offline\n"
               "  reload                           make the agent reload "
               "policy\n"
               "  status [--json]                  agent status\n"
               "  cdi list [--json]                the CDI devices devpassd "
               "exports\n\n"
               "Global options:\n"
               "  --socket PATH      agent socket (default %s)\n"
               "  --state-dir DIR    state dir when acting without an agent "
               "(default /run/devpass)\n"
               "  --policy-dir DIR   policy dir for explain and policy check "
               "(repeatable)\n"
               "  --cdi-dir DIR      CDI spec dir for cdi list (default %s)\n"
               "  -h, --help         this help\n"
               "  --version          version\n\n"
               "CONTAINER: NAME, lxc:NAME, incus:NAME, lxd:NAME, nspawn:NAME,\n"
               "  docker:NAME, podman:NAME, pid:PID, cgroup:PATH\n"
               "DEVICE: /dev/NODE, /sys/PATH, net:IFNAME or IFNAME,\n"
               "  usb:VID:PID[:SERIAL], pci:DOMAIN:BUS:SLOT.FN\n\n"
               "Exit status: 0 success, 1 failure, 2 usage error.\n",
               DP_DEFAULT_SOCKET, DP_DEFAULT_CDI_DIR);
}

typedef struct verb {
        const char *name;
        unsigned min_args, max_args;
        const char *options; /* space-separated long options it accepts */
        int (*run)(ctl_opts *o);
} verb;

static const verb verbs[] = {
        {"devices", 0, 0, "json", verb_devices},
        {"explain", 1, 1, "json", verb_explain},
        {"attach", 2, 2, "json path mode owner group access name for",
         verb_attach},
        {"detach", 2, 2, "json", verb_detach},
        {"renew", 2, 2, "json for", verb_renew},
        {"list", 0, 0, "json", verb_list},
        {"monitor", 0, 0, "json", verb_monitor},
        {"policy", 1, 1000, "json", verb_policy},
        {"reload", 0, 0, "json", verb_reload},
        {"status", 0, 0, "json", verb_status},
        {"cdi", 1, 1, "json", verb_cdi},
};

static bool verb_takes(const verb *v, const char *opt)
{
        _cleanup_strv_free_ char **l = NULL;

        if (strv_split_ws(v->options, &l) < 0)
                return false;
        return strv_contains(l, opt);
}

/* Verb options may come before or after positionals; "--" ends them. */
static int parse_verb_args(const verb *v, int argc, char **argv, ctl_opts *o)
{
        bool dashdash = false;

        for (int i = 0; i < argc; i++) {
                const char *a = argv[i], *val = NULL;
                _cleanup_free_ char *key = NULL;
                const char **slot = NULL;

                if (dashdash || a[0] != '-' || streq(a, "-")) {
                        if (strv_extend(&o->args, a) < 0)
                                return ctl_fail("out of memory");
                        continue;
                }
                if (streq(a, "--")) {
                        dashdash = true;
                        continue;
                }
                if (!startswith(a, "--"))
                        return ctl_usage("unknown option '%s'", a);
                key = strdup(a + 2);
                if (!key)
                        return ctl_fail("out of memory");
                if (strchr(key, '=')) {
                        val = strchr(a, '=') + 1;
                        *strchr(key, '=') = 0;
                }
                if (!verb_takes(v, key))
                        return ctl_usage("'%s' does not take --%s", v->name,
                                         key);
                if (streq(key, "json")) {
                        if (val)
                                return ctl_usage("--json takes no value");
                        o->json = true;
                        continue;
                }
                slot = streq(key, "path")     ? &o->path
                       : streq(key, "mode")   ? &o->mode
                       : streq(key, "owner")  ? &o->owner
                       : streq(key, "group")  ? &o->group
                       : streq(key, "access") ? &o->access
                       : streq(key, "for")    ? &o->lease
                                              : &o->name;
                if (!val) {
                        if (i + 1 >= argc)
                                return ctl_usage("--%s needs a value", key);
                        val = argv[++i];
                }
                *slot = val;
        }
        if (strv_length(o->args) < v->min_args ||
            strv_length(o->args) > v->max_args)
                return ctl_usage("wrong number of arguments for '%s'", v->name);
        return CTL_OK;
}

int main(int argc, char **argv)
{
        static const struct option global[] = {
                {"socket", required_argument, NULL, 's'},
                {"state-dir", required_argument, NULL, 'S'},
                {"policy-dir", required_argument, NULL, 'P'},
                {"cdi-dir", required_argument, NULL, 'C'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                /* not in --help: tests point devpass at fake host
                 * interfaces (devpass/config.h) */
                {"test-path", required_argument, NULL, 'T'},
                {},
        };
        _cleanup_strv_free_ char **pdirs = NULL, **args = NULL;
        ctl_opts o = {.argv = argv,
                      .socket = DP_DEFAULT_SOCKET,
                      .state_dir = "/run/devpass",
                      .cdi_dir = DP_DEFAULT_CDI_DIR};
        const verb *v = NULL;
        int c, r;

        log_set_ident("devpassctl");
        log_set_max_level(LOG_WARNING);
        /* '+': stop at the verb; its own options are parsed per verb */
        while ((c = getopt_long(argc, argv, "+h", global, NULL)) >= 0) {
                switch (c) {
                case 's':
                        o.socket = optarg;
                        break;
                case 'S':
                        o.state_dir = optarg;
                        break;
                case 'P':
                        if (strv_extend(&pdirs, optarg) < 0)
                                return ctl_fail("out of memory");
                        break;
                case 'C':
                        o.cdi_dir = optarg;
                        break;
                case 'h':
                        help();
                        return CTL_OK;
                case 'V':
                        puts("devpassctl " DEVPASS_VERSION);
                        return CTL_OK;
                case 'T':
                        if (dp_config_set_assignment(optarg) < 0)
                                return ctl_usage("bad --test-path '%s'",
                                                 optarg);
                        break;
                default:
                        return ctl_usage("bad global option");
                }
        }
        if (optind >= argc)
                return ctl_usage("no verb given");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name))
                        v = &verbs[i];
        if (!v)
                return ctl_usage("unknown verb '%s'", argv[optind]);
        o.policy_dirs = pdirs;
        r = parse_verb_args(v, argc - optind - 1, argv + optind + 1, &o);
        args = o.args;
        if (r != CTL_OK)
                return r;
        return v->run(&o);
}
