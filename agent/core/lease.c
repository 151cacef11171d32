/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/daemon.h"
#include "core/lease.h"
#include "core/manual.h"
#include "core/service.h"
#include "devpass/protocol.h"
#include "devpass/log.h"
#include "devpass/runtime.h"

#define TOMBS_FILE "leases-ended.json"

uint64_t dp_now_realtime_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool dp_grant_lease_over(const dp_grant *g, uint64_t now)
{
        return g->lease_until && now >= g->lease_until;
}

uint64_t dp_ledger_next_lease_end(const dp_ledger *l)
{
        uint64_t next = 0;

        for (size_t i = 0; i < l->n; i++) {
                uint64_t t = l->grants[i]->lease_until;

                if (t && (!next || t < next))
                        next = t;
        }
        return next;
}

/* ---- ended policy leases ---- */

static void ended_clear(dp_lease_ended *x)
{
        free(x->container);
        free(x->device);
        free(x->source);
}

void dp_lease_tombs_free(dp_lease_tombs *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++)
                ended_clear(&t->items[i]);
        free(t->items);
        free(t->path);
        free(t);
}

static int tombs_push(dp_lease_tombs *t, const char *container,
                      uint64_t starttime, const char *device,
                      const char *source)
{
        dp_lease_ended *n = realloc(t->items, sizeof(*n) * (t->n + 1));
        dp_lease_ended x = {.container = strdup(container),
                            .device = strdup(device),
                            .source = strdup(source),
                            .starttime = starttime};

        if (n)
                t->items = n;
        if (!n || !x.container || !x.device || !x.source) {
                ended_clear(&x);
                return -ENOMEM;
        }
        t->items[t->n++] = x;
        return 0;
}

static int tombs_save(const dp_lease_tombs *t)
{
        json_object *a = json_object_new_array();
        const char *text;
        int r;

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                json_object *o = json_object_new_object();

                if (!o)
                        break;
                json_object_object_add(
                        o, "container",
                        json_object_new_string(t->items[i].container));
                json_object_object_add(
                        o, "starttime",
                        json_object_new_uint64(t->items[i].starttime));
                json_object_object_add(
                        o, "device",
                        json_object_new_string(t->items[i].device));
                json_object_object_add(
                        o, "source",
                        json_object_new_string(t->items[i].source));
                json_object_array_add(a, o);
        }
        text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
        r = text ? write_file_atomic(t->path, text, strlen(text), 0600)
                 : -ENOMEM;
        json_object_put(a);
        return r;
}

int dp_lease_tombs_load(const char *state_dir, dp_lease_tombs **ret)
{
        dp_lease_tombs *t = calloc(1, sizeof(*t));
        _cleanup_free_ char *text = NULL;
        json_object *a;

        if (!t)
                return -ENOMEM;
        t->path = strjoin_sep("/", state_dir, TOMBS_FILE, NULL);
        if (!t->path) {
                dp_lease_tombs_free(t);
                return -ENOMEM;
        }
        *ret = t;
        if (read_full_file(t->path, &text, NULL) < 0)
                return 0;
        a = json_tokener_parse(text);
        for (size_t i = 0; json_object_is_type(a, json_type_array) &&
                           i < json_object_array_length(a);
             i++) {
                json_object *o = json_object_array_get_idx(a, i), *c, *s, *d,
                            *src;

                if (json_object_object_get_ex(o, "container", &c) &&
                    json_object_is_type(c, json_type_string) &&
                    json_object_object_get_ex(o, "starttime", &s) &&
                    json_object_is_type(s, json_type_int) &&
                    json_object_object_get_ex(o, "device", &d) &&
                    json_object_is_type(d, json_type_string) &&
                    json_object_object_get_ex(o, "source", &src) &&
                    json_object_is_type(src, json_type_string))
                        (void)tombs_push(t, json_object_get_string(c),
                                         json_object_get_uint64(s),
                                         json_object_get_string(d),
                                         json_object_get_string(src));
        }
        json_object_put(a);
        return 0;
}

int dp_lease_tombs_add(dp_lease_tombs *t, const char *container,
                       uint64_t starttime, const char *device,
                       const char *source)
{
        int r;

        if (dp_lease_tombs_has(t, container, starttime, device, source))
                return 0;
        r = tombs_push(t, container, starttime, device, source);
        return r < 0 ? r : tombs_save(t);
}

bool dp_lease_tombs_has(const dp_lease_tombs *t, const char *container,
                        uint64_t starttime, const char *device,
                        const char *source)
{
        for (size_t i = 0; t && i < t->n; i++)
                if (t->items[i].starttime == starttime &&
                    streq(t->items[i].container, container) &&
                    streq(t->items[i].device, device) &&
                    streq(t->items[i].source, source))
                        return true;
        return false;
}

void dp_lease_tombs_prune(dp_lease_tombs *t,
                          bool (*running)(void *userdata, const char *ref,
                                          uint64_t starttime),
                          void *userdata)
{
        size_t k = 0, n;

        if (!t || t->n == 0)
                return;
        n = t->n;
        for (size_t i = 0; i < t->n; i++) {
                if (running(userdata, t->items[i].container,
                            t->items[i].starttime))
                        t->items[k++] = t->items[i];
                else
                        ended_clear(&t->items[i]);
        }
        t->n = k;
        if (k != n)
                (void)tombs_save(t);
}

/* ---- renew and expiry ---- */

int dp_manual_renew(dp_engine *e, dp_hw *hw, const dp_manual_refs *refs,
                    uint64_t lease_ms, json_object **ret_grant,
                    char **ret_error)
{
        dp_grant *g = NULL;
        int r;

        r = dp_manual_find_grant(e, hw, refs, refs->c, &g, ret_error);
        if (r < 0)
                return r;
        if (!g->lease_until) {
                free(*ret_error);
                if (asprintf(ret_error,
                             "%s in %s has no lease (attach --for makes one)",
                             refs->device, g->container) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        g->lease_until = dp_now_realtime_ms() + lease_ms;
        r = dp_engine_save_grant(e, g);
        if (r < 0) {
                free(*ret_error);
                *ret_error = strdup("the ledger could not be saved");
                return r;
        }
        log_info("renew %s in %s: lease ends in %" PRIu64 " ms", g->device,
                 g->container, lease_ms);
        return ret_grant ? dp_grant_list_json(g, false, ret_grant) : 0;
}

/* What an expired grant was, taken before the detach frees it. */
typedef struct expired {
        char *container, *device, *rule, *nodes;
} expired;

static void expired_take(expired *x, const dp_grant *g)
{
        *x = (expired){.container = strdup(g->container),
                       .device = strdup(g->device),
                       .rule = strdup(g->source),
                       .nodes = dp_audit_nodes(g)};
}

/* The record of a revoke without an agent (the agent's are reconcile's),
 * then x is released. */
static void expired_audit(expired *x, int r)
{
        _cleanup_free_ char *msg = NULL;

        if (x->container && x->device &&
            asprintf(&msg, "revoke %s from %s: lease expired%s", x->device,
                     x->container, r < 0 ? ": failed" : "") >= 0)
                dp_audit(DP_AUDIT_REVOKE,
                         &(dp_audit_fields){
                                 .message = msg,
                                 .container = x->container,
                                 .device = x->device,
                                 .rule = x->rule,
                                 .nodes = x->nodes,
                                 .result = r < 0 ? "lease expired: failed"
                                                 : "lease expired"});
        free(x->container);
        free(x->device);
        free(x->rule);
        free(x->nodes);
}

void dp_engine_expire_leases(dp_engine *e)
{
        uint64_t now = dp_now_realtime_ms();

        for (size_t i = e->ledger->n; i-- > 0;) {
                _cleanup_container_free_ dp_container *c = NULL;
                dp_grant *g;
                expired x;
                int r;

                if (i >= e->ledger->n)
                        continue;
                g = e->ledger->grants[i];
                if (!dp_grant_lease_over(g, now))
                        continue;
                if (dp_container_resolve(g->container, &c) < 0 ||
                    !dp_grant_same_instance(g, c))
                        c = (dp_container_free(c), NULL);
                log_info("revoke %s from %s: lease expired", g->device,
                         g->container);
                expired_take(&x, g);
                r = dp_engine_detach(e, g, c);
                if (r < 0)
                        log_warning_errno(r, "Revoking an expired lease: %m");
                expired_audit(&x, r);
        }
}

void dp_daemon_arm_lease_timer(dp_daemon *d)
{
        uint64_t next = dp_ledger_next_lease_end(d->engine->ledger);
        struct itimerspec t = {
                .it_value = {.tv_sec = (time_t)(next / 1000),
                             .tv_nsec = (long)(next % 1000) * 1000000L},
        };

        if (d->lease_timer_fd < 0 || next == d->lease_armed)
                return;
        d->lease_armed = next;
        /* an end in the past fires at once; 0 disarms */
        (void)timerfd_settime(d->lease_timer_fd, TFD_TIMER_ABSTIME, &t, NULL);
}

void dp_daemon_on_lease_timer(void *data, int fd, uint32_t events)
{
        dp_daemon *d = data;
        uint64_t ticks;

        (void)events;
        (void)!read(fd, &ticks, sizeof(ticks));
        d->lease_armed = 0;
        /* the revoke pass finds what ran out (and says so) */
        (void)dp_reconcile(d, NULL, NULL);
}

static int renew_fail(dp_service_error *e, int r, const char *name, char *msg)
{
        free(e->message);
        e->name = name;
        e->message = msg ? msg : strdup(strerror(-r));
        return r;
}

static void audit_renew(dp_service *s, const dp_manual_refs *refs, int64_t ms,
                        int r, const char *err)
{
        _cleanup_free_ char *msg = NULL, *res = NULL;

        if (asprintf(&res, "%s", r >= 0 ? "ok" : strna(err)) < 0 ||
            asprintf(&msg, "renew %s in %s for %" PRId64 " ms: %s",
                     refs->device, refs->container, ms, res) < 0)
                return;
        dp_audit(DP_AUDIT_REQUEST,
                 &(dp_audit_fields){.message = msg,
                                    .container = refs->container,
                                    .device = refs->device,
                                    .request = "renew",
                                    .result = res,
                                    .has_requester = s->has_requester,
                                    .uid = s->requester_uid,
                                    .pid = s->requester_pid});
}

int dp_service_renew(dp_service *s, json_object *p, json_object **ret,
                     dp_service_error *e)
{
        dp_manual_refs refs = {};
        _cleanup_device_free_ dp_device *dev = NULL;
        json_object *x, *g = NULL;
        char *err = NULL, *text = NULL;
        int64_t ms;
        int r;

        if (json_object_object_get_ex(p, "container", &x) &&
            json_object_is_type(x, json_type_string))
                refs.container = json_object_get_string(x);
        if (json_object_object_get_ex(p, "device", &x) &&
            json_object_is_type(x, json_type_string))
                refs.device = json_object_get_string(x);
        if (!refs.container || !refs.device ||
            !json_object_object_get_ex(p, "lease_ms", &x) ||
            !json_object_is_type(x, json_type_int) ||
            (ms = json_object_get_int64(x)) < 1 ||
            ms > INT64_C(10) * 366 * 86400000)
                return renew_fail(e, -EINVAL, DP_IPC_ERROR_INVALID_PARAMETER,
                                  strdup("container, device (strings) and "
                                         "lease_ms (1 ms to ten years) are "
                                         "required"));
        if (s->hooks && s->hooks->find_container)
                refs.c = s->hooks->find_container(s->userdata, refs.container);
        if (s->hooks && s->hooks->find_device &&
            s->hooks->find_device(s->userdata, refs.device, &dev) >= 0)
                refs.d = dev;
        r = dp_manual_renew(s->engine, s->hw, &refs, (uint64_t)ms, &g, &err);
        audit_renew(s, &refs, ms, r, err);
        if (r < 0)
                return renew_fail(e, r, DP_IPC_ERROR_FAILED, err);
        if (s->hooks && s->hooks->event &&
            asprintf(&text, "renew %s in %s: lease ends in %" PRId64 " ms",
                     refs.device, refs.container, ms) >= 0)
                s->hooks->event(s->userdata, "renew", text);
        free(text);
        *ret = json_object_new_object();
        if (!*ret) {
                json_object_put(g);
                return renew_fail(e, -ENOMEM, DP_IPC_ERROR_FAILED, NULL);
        }
        json_object_object_add(*ret, "grant", g);
        return 0;
}
