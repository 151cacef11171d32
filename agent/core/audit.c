/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/ledger.h"
#include "devpass/log.h"

/* Fixed for good: journalctl MESSAGE_ID=… and the catalog name them. */
static const char *const message_ids[_DP_AUDIT_MAX] = {
        [DP_AUDIT_GRANT] = "dcbf6b87147f4677a8fb7ef58635b12c",
        [DP_AUDIT_REVOKE] = "fe0a24455959483a9f12d6710c20e439",
        [DP_AUDIT_REFUSAL] = "11972a2083f141bf97ddf6ea9e6caf67",
        [DP_AUDIT_REQUEST] = "eb9bac4ac8e445edb78689dcbd2ddce2",
};

static bool stderr_fallback;

const char *dp_audit_message_id(dp_audit_kind k)
{
        return k < _DP_AUDIT_MAX ? message_ids[k] : NULL;
}

void dp_audit_set_stderr_fallback(bool on)
{
        stderr_fallback = on;
}

/* journald's socket, as sd_booted() would say for the journal alone; a
 * DEVPASS_AUDIT=json environment forces the JSON lines (tests, or a host
 * whose journal should not get them). */
static bool use_journal(void)
{
        const char *e = getenv("DEVPASS_AUDIT");

        if (e && streq(e, "json"))
                return false;
        return access("/run/systemd/journal/socket", F_OK) == 0;
}

typedef int (*sendv_fn)(const struct iovec *iov, int n);

/* libsystemd's sd_journal_sendv(), looked up the first time a record goes
 * to a journal: libsystemd and the libraries it pulls in (gcrypt, lz4,
 * lzma, zstd) would add some 850 KiB to the RSS of every agent, also on
 * hosts without journald. NULL if it cannot be had. */
static sendv_fn journal_sendv(void)
{
        static sendv_fn fn;
        static bool tried;
        void *dl;

        if (tried)
                return fn;
        tried = true;
        dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (dl)
                *(void **)&fn = dlsym(dl, "sd_journal_sendv");
        if (!fn)
                log_warning("libsystemd.so.0 cannot be loaded: audit records "
                            "go to stderr as JSON lines");
        return fn;
}

typedef struct field {
        const char *key, *value;
} field;

static size_t collect(dp_audit_kind k, const dp_audit_fields *f, char *uid,
                      char *pid, field *out)
{
        size_t n = 0;
        const field all[] = {
                {"MESSAGE_ID", message_ids[k]},
                {"MESSAGE", f->message},
                {"DEVPASS_CONTAINER", f->container},
                {"DEVPASS_DEVICE", f->device},
                {"DEVPASS_RULE", f->rule},
                {"DEVPASS_NODES", f->nodes},
                {"DEVPASS_RESULT", f->result},
                {"DEVPASS_REQUEST", f->request},
                {"DEVPASS_REQUESTER_UID", f->has_requester ? uid : NULL},
                {"DEVPASS_REQUESTER_PID", f->has_requester ? pid : NULL},
        };

        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (all[i].value)
                        out[n++] = all[i];
        return n;
}

static void to_journal(const field *fs, size_t n)
{
        struct iovec iov[16];
        char *bufs[16] = {};
        size_t k = 0;

        for (size_t i = 0; i < n && k < ELEMENTSOF(iov); i++) {
                if (asprintf(&bufs[k], "%s=%s", fs[i].key, fs[i].value) < 0)
                        break;
                iov[k] = (struct iovec){.iov_base = bufs[k],
                                        .iov_len = strlen(bufs[k])};
                k++;
        }
        if (k > 0 && k < ELEMENTSOF(iov)) {
                static char prio[] = "PRIORITY=5", ident[] =
                                                           "SYSLOG_IDENTIFIER="
                                                           "devpass";

                iov[k++] = (struct iovec){.iov_base = prio,
                                          .iov_len = sizeof(prio) - 1};
                if (k < ELEMENTSOF(iov))
                        iov[k++] = (struct iovec){.iov_base = ident,
                                                  .iov_len = sizeof(ident) - 1};
                if (journal_sendv()(iov, (int)k) < 0)
                        log_debug("Audit record not sent to the journal");
        }
        for (size_t i = 0; i < ELEMENTSOF(bufs); i++)
                free(bufs[i]);
}

static void to_stderr(const field *fs, size_t n)
{
        json_object *o = json_object_new_object();

        if (!o)
                return;
        for (size_t i = 0; i < n; i++)
                json_object_object_add(o, fs[i].key,
                                       json_object_new_string(fs[i].value));
        /* one write per record: lines of concurrent writers never mix */
        {
                _cleanup_free_ char *line = NULL;

                if (asprintf(&line, "%s\n",
                             json_object_to_json_string_ext(
                                     o,
                                     JSON_C_TO_STRING_PLAIN |
                                             JSON_C_TO_STRING_NOSLASHESCAPE)) >=
                    0)
                        (void)!write(STDERR_FILENO, line, strlen(line));
        }
        json_object_put(o);
}

void dp_audit(dp_audit_kind k, const dp_audit_fields *f)
{
        char uid[16], pid[16];
        field fs[16];
        size_t n;

        if (k >= _DP_AUDIT_MAX || !f || !f->message)
                return;
        snprintf(uid, sizeof(uid), "%u", (unsigned)f->uid);
        snprintf(pid, sizeof(pid), "%d", (int)f->pid);
        n = collect(k, f, uid, pid, fs);
        if (use_journal() && journal_sendv())
                to_journal(fs, n);
        else if (stderr_fallback)
                to_stderr(fs, n);
}

static char *join_paths(const char *const *paths, size_t n)
{
        size_t len = 1;
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                len += strlen(paths[i]) + 1;
        s = p = malloc(len);
        if (!s)
                return NULL;
        *s = 0;
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%s", i ? " " : "", paths[i]);
        return s;
}

char *dp_audit_nodes(const dp_grant *g)
{
        _cleanup_free_ const char **paths =
                calloc(g->n_nodes + 1, sizeof(char *));

        if (!paths)
                return NULL;
        for (size_t i = 0; i < g->n_nodes; i++)
                paths[i] = g->nodes[i].path;
        return join_paths(paths, g->n_nodes);
}

char *dp_audit_nodes_json(json_object *grant)
{
        json_object *a = json_object_object_get(grant, "nodes");
        size_t n = json_object_is_type(a, json_type_array)
                           ? json_object_array_length(a)
                           : 0;
        _cleanup_free_ const char **paths = calloc(n + 1, sizeof(char *));

        if (!paths)
                return NULL;
        for (size_t i = 0; i < n; i++)
                paths[i] =
                        strempty(json_object_get_string(json_object_object_get(
                                json_object_array_get_idx(a, i), "path")));
        return join_paths(paths, n);
}
