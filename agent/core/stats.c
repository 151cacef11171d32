/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "core/stats.h"

static const char *const reason_names[_DP_REASON_MAX] = {
        [DP_REASON_DEVICE_REMOVED] = "device_removed",
        [DP_REASON_CONTAINER_STOPPED] = "container_stopped",
        [DP_REASON_POLICY] = "policy",
        [DP_REASON_DENIED] = "denied",
        [DP_REASON_MANUAL] = "manual",
        [DP_REASON_UNFINISHED] = "unfinished",
        [DP_REASON_LEASE] = "lease_expired",
        [DP_REASON_FAILED] = "failed",
        [DP_REASON_OTHER] = "other",
};

/* Upper bounds in microseconds: 100 µs … 5 s covers a cgroup write at one
 * end and a hung runtime at the other. */
static const uint64_t bucket_us[DP_HIST_BUCKETS] = {
        100,   250,   500,    1000,   2500,   5000,    10000,
        25000, 50000, 100000, 250000, 500000, 1000000, 5000000,
};

const char *dp_stat_reason_name(dp_stat_reason r)
{
        return r < _DP_REASON_MAX ? reason_names[r] : "other";
}

dp_stat_reason dp_stat_reason_of(const char *why)
{
        static const struct {
                const char *prefix;
                dp_stat_reason r;
        } map[] = {
                {"container stopped", DP_REASON_CONTAINER_STOPPED},
                {"device removed", DP_REASON_DEVICE_REMOVED},
                {"unfinished", DP_REASON_UNFINISHED},
                {"lease expired", DP_REASON_LEASE},
                {"denied", DP_REASON_DENIED},
                {"manual", DP_REASON_MANUAL},
                {"no rule", DP_REASON_POLICY},
                {"another rule", DP_REASON_POLICY},
                {"rule ", DP_REASON_POLICY},
        };

        for (size_t i = 0; why && i < ELEMENTSOF(map); i++)
                if (startswith(why, map[i].prefix))
                        return map[i].r;
        return DP_REASON_OTHER;
}

void dp_histogram_observe(dp_histogram *h, uint64_t usec)
{
        size_t i = 0;

        while (i < DP_HIST_BUCKETS && usec > bucket_us[i])
                i++;
        h->bucket[i]++;
        h->count++;
        h->sum_s += (double)usec / 1e6;
}

/* A label value as the text formats want it: \ " and newline escaped. */
static void put_label(FILE *f, const char *s)
{
        fputc('"', f);
        for (; s && *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f);
                if (*s == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*s, f);
        }
        fputc('"', f);
}

typedef struct fmt {
        FILE *f;
        bool om;
} fmt;

/* HELP and TYPE; OpenMetrics names a counter family without "_total". */
static void family(fmt *o, const char *name, const char *type, const char *help)
{
        size_t n = strlen(name);

        if (o->om && streq(type, "counter") && endswith(name, "_total"))
                n -= strlen("_total");
        fprintf(o->f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help,
                (int)n, name, type);
}

static void scalar(fmt *o, const char *name, const char *type, const char *help,
                   uint64_t v)
{
        family(o, name, type, help);
        fprintf(o->f, "%s %" PRIu64 "\n", name, v);
}

static void by_reason(fmt *o, const char *name, const char *help,
                      const uint64_t *v, unsigned mask)
{
        family(o, name, "counter", help);
        for (int r = 0; r < _DP_REASON_MAX; r++)
                if (mask & (1u << r))
                        fprintf(o->f, "%s{reason=\"%s\"} %" PRIu64 "\n", name,
                                reason_names[r], v[r]);
}

static void histogram(fmt *o, const char *name, const char *help,
                      const dp_histogram *h)
{
        uint64_t cum = 0;

        family(o, name, "histogram", help);
        for (size_t i = 0; i < DP_HIST_BUCKETS; i++) {
                cum += h->bucket[i];
                fprintf(o->f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
                        (double)bucket_us[i] / 1e6, cum);
        }
        fprintf(o->f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
        fprintf(o->f, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, h->sum_s,
                name, h->count);
}

static const char *grant_class(dp_daemon *d, const dp_grant *g)
{
        const dp_device *dev = dp_device_list_find(&d->devices, g->device);

        if (!dev)
                dev = dp_device_list_find(&d->moved, g->device);
        if (dev)
                return dp_class_to_string(dev->klass);
        return g->has_netdev ? "net" : "unknown";
}

/* One series per (container, class) pair that holds a grant now. Each
 * grant's class is looked up once: the pairing below is quadratic in the
 * grants only. */
static int grants_now(fmt *o, dp_daemon *d)
{
        const dp_ledger *l = d->engine->ledger;
        _cleanup_free_ const char **cls = calloc(l->n + 1, sizeof(char *));

        if (!cls)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                cls[i] = grant_class(d, l->grants[i]);
        family(o, "devpass_grants", "gauge",
               "Grants held now, by container and device class.");
        for (size_t i = 0; i < l->n; i++) {
                const char *ctr = l->grants[i]->container;
                size_t n = 0;
                bool seen = false;

                for (size_t j = 0; j < l->n; j++) {
                        if (!streq(l->grants[j]->container, ctr) ||
                            !streq(cls[j], cls[i]))
                                continue;
                        seen = seen || j < i;
                        n++;
                }
                if (seen)
                        continue;
                fputs("devpass_grants{container=", o->f);
                put_label(o->f, ctr);
                fprintf(o->f, ",class=\"%s\"} %zu\n", cls[i], n);
        }
        return 0;
}

int dp_stats_format(dp_daemon *d, bool openmetrics, FILE *f)
{
        const dp_stats *s = &d->stats;
        fmt o = {.f = f, .om = openmetrics};

        family(&o, "devpass_info", "gauge", "devpassd's version.");
        fprintf(f, "devpass_info{version=\"%s\"} 1\n", DEVPASS_VERSION);
        if (grants_now(&o, d) < 0)
                return -ENOMEM;
        family(&o, "devpass_grants_made_total", "counter",
               "Grants made, by what asked for them.");
        fprintf(f,
                "devpass_grants_made_total{source=\"policy\"} %" PRIu64 "\n"
                "devpass_grants_made_total{source=\"manual\"} %" PRIu64 "\n",
                s->grants_policy, s->grants_manual);
        by_reason(&o, "devpass_revokes_total", "Grants revoked, by reason.",
                  s->revokes, ~0u);
        by_reason(&o, "devpass_refusals_total",
                  "Grants refused or failed, by reason.", s->refusals,
                  1u << DP_REASON_DENIED | 1u << DP_REASON_FAILED |
                          1u << DP_REASON_OTHER);
        scalar(&o, "devpass_containers", "gauge", "Running containers tracked.",
               d->n_ctrs);
        scalar(&o, "devpass_devices", "gauge", "Host devices present.",
               d->devices.n);
        scalar(&o, "devpass_policy_rules", "gauge", "Rules in force.",
               d->policy ? dp_policy_n_rules(d->policy) : 0);
        scalar(&o, "devpass_policy_error", "gauge",
               "1 while the last policy load was refused.",
               d->policy_error ? 1 : 0);
        scalar(&o, "devpass_uevents_total", "counter", "Uevents received.",
               d->n_events);
        scalar(&o, "devpass_resyncs_total", "counter",
               "Full resyncs (overflow, udevd coming or going).", d->n_resyncs);
        scalar(&o, "devpass_uevent_overflows_total", "counter",
               "Uevent socket overflows (ENOBUFS).", s->enobufs);
        scalar(&o, "devpass_ledger_save_failures_total", "counter",
               "Ledger entries that could not be saved (kept in memory).",
               d->engine->n_save_failures);
        scalar(&o, "devpass_ipc_clients", "gauge",
               "Clients connected to the control socket.", s->ipc_clients);
        histogram(&o, "devpass_reconcile_seconds",
                  "Time of one reconcile pass.", &s->reconcile);
        histogram(&o, "devpass_hotplug_seconds",
                  "Time from reading a batch of uevents to its grants and "
                  "revokes applied.",
                  &s->hotplug);
        if (openmetrics)
                fputs("# EOF\n", f);
        return ferror(f) ? -EIO : 0;
}
