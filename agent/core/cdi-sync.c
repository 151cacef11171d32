/* SPDX-License-Identifier: MIT */
/* Keeps the CDI specs in the agent's CDI dir equal to what the policy
 * exports (rules whose Container= holds "cdi") of the devices present now.
 * Called at the end of every reconcile that may change devices or policy;
 * a spec file is replaced only when its text changes (cdi.c), so readers
 * never see a torn file and an unrelated uevent costs no write.
 *
 * The spec files this agent wrote are recorded in STATE_DIR/cdi-specs, so
 * that a later agent removes those that no longer hold anything (a device
 * unplugged while it was down, a policy that stopped exporting), and never
 * touches a spec file it did not write (another agent's, with another
 * state dir, in the same CDI dir). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/cdi.h"
#include "core/daemon.h"
#include "devpass/log.h"

typedef struct export
{
        dp_class klass;
        const char *syspath;
        const char *name;
        json_object *dev; /* the CDI device */
}
export;

static int export_cmp(const void *a, const void *b)
{
        const export *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c ? c : strcmp(x->syspath, y->syspath);
}

static bool policy_exports(const dp_policy *p)
{
        for (size_t i = 0; i < dp_policy_n_rules(p); i++)
                if (dp_rule_cdi(dp_policy_rule(p, i)))
                        return true;
        return false;
}

static char *record_path(const dp_daemon *d)
{
        return strjoin_sep("/", d->cfg.state_dir, "cdi-specs", NULL);
}

/* "devpass.io-CLASS.json", as dp_cdi_spec_path() names them */
static bool is_spec_name(const char *name)
{
        for (int c = DP_CLASS_UNKNOWN + 1; c < _DP_CLASS_MAX; c++) {
                _cleanup_free_ char *p = NULL;

                if (dp_cdi_spec_path("", c, &p) >= 0 && streq(p + 1, name))
                        return true;
        }
        return false;
}

static void record_load(dp_daemon *d)
{
        _cleanup_free_ char *path = record_path(d), *text = NULL;

        d->cdi_loaded = true;
        if (!path || read_full_file(path, &text, NULL) < 0)
                return;
        for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n"))
                /* only our own spec names: the record is ours, but a
                 * damaged one must not make the agent unlink other files */
                if (s[0] == '/' && is_spec_name(strrchr(s, '/') + 1) &&
                    !strv_contains(d->cdi_written, s))
                        (void)strv_extend(&d->cdi_written, s);
}

static void record_save(dp_daemon *d)
{
        _cleanup_free_ char *path = record_path(d), *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!path)
                return;
        f = open_memstream(&text, &len);
        if (!f)
                return;
        STRV_FOREACH (s, d->cdi_written)
                fprintf(f, "%s\n", *s);
        if (fclose(f) != 0)
                return;
        r = write_file_atomic(path, text, len, 0600);
        if (r < 0)
                log_warning_errno(r, "Cannot record the CDI specs in %s: %m",
                                  path);
}

static void written_set(dp_daemon *d, const char *path, bool present,
                        bool *changed)
{
        if (present == strv_contains(d->cdi_written, path))
                return;
        if (present)
                (void)strv_extend(&d->cdi_written, path);
        else
                for (char **s = d->cdi_written; s && *s; s++)
                        if (streq(*s, path)) {
                                free(*s);
                                memmove(s, s + 1,
                                        sizeof(char *) *
                                                (strv_length(s + 1) + 1));
                                break;
                        }
        *changed = true;
}

/* The devices the policy exports, as CDI devices, sorted by class and name;
 * the n entries' devices are owned by the caller. */
static int collect(dp_daemon *d, export **ret, size_t *ret_n)
{
        export *e = NULL;
        size_t n = 0;

        for (size_t i = 0; d->policy && i < d->devices.n; i++) {
                const dp_device *dev = d->devices.items[i];
                const dp_rule *rule = dp_policy_match(d->policy, dev, NULL);
                json_object *o;
                export *ne;

                if (!rule || !dp_rule_cdi(rule) ||
                    dp_rule_grant(rule)->action != DP_ACTION_ALLOW)
                        continue;
                /* -ENODEV: nothing to give (a NIC) */
                if (dp_cdi_device_json(dev, dp_rule_grant(rule), &o) < 0)
                        continue;
                ne = realloc(e, sizeof(export) * (n + 1));
                if (!ne) {
                        json_object_put(o);
                        break;
                }
                e = ne;
                e[n++] = (export){
                        .klass = dev->klass,
                        .syspath = dev->syspath,
                        .name = json_object_get_string(
                                json_object_object_get(o, "name")),
                        .dev = o,
                };
        }
        if (n > 1)
                qsort(e, n, sizeof(export), export_cmp);
        *ret = e;
        *ret_n = n;
        return 0;
}

/* One class's spec: its devices in name order; two devices of the same
 * name (one file behind two loop devices) would make engines refuse the
 * whole spec, so the first by syspath is kept and the other is logged. */
static json_object *class_devices(dp_class c, const export *e, size_t n)
{
        json_object *a = NULL;
        const char *last = NULL;

        for (size_t i = 0; i < n; i++) {
                if (e[i].klass != c)
                        continue;
                if (last && streq(last, e[i].name)) {
                        log_warning("CDI: %s has the same name as another "
                                    "device (%s=%s); not exported",
                                    e[i].syspath, dp_cdi_kind(c), e[i].name);
                        continue;
                }
                if (!a && !(a = json_object_new_array()))
                        return NULL;
                json_object_array_add(a, json_object_get(e[i].dev));
                last = e[i].name;
        }
        return a;
}

static void sync_class(dp_daemon *d, dp_class c, json_object *devices,
                       bool *record_changed)
{
        _cleanup_free_ char *path = NULL;
        json_object *spec = NULL;
        bool changed = false;
        int r;

        if (dp_cdi_spec_path(d->cfg.cdi_dir, c, &path) < 0)
                return;
        if (!devices && !strv_contains(d->cdi_written, path))
                return;
        if (devices && dp_cdi_spec_json(c, devices, &spec) < 0)
                return;
        r = dp_cdi_write(d->cfg.cdi_dir, c, spec, &changed);
        json_object_put(spec);
        if (r < 0) {
                dp_daemon_emit(d, "error", "CDI spec %s: %s", path,
                               strerror(-r));
                return;
        }
        written_set(d, path, devices != NULL, record_changed);
        if (!changed)
                return;
        if (devices)
                dp_daemon_emit(
                        d, "cdi", "cdi %s: %zu device%s in %s", dp_cdi_kind(c),
                        json_object_array_length(devices),
                        json_object_array_length(devices) == 1 ? "" : "s",
                        path);
        else
                dp_daemon_emit(d, "cdi", "cdi %s: nothing exported, %s removed",
                               dp_cdi_kind(c), path);
}

/* Spec files recorded for another CDI dir (the agent's option changed):
 * their devices are no longer offered there. */
static void drop_foreign(dp_daemon *d, bool *record_changed)
{
        _cleanup_free_ char *prefix =
                strjoin_sep("", d->cfg.cdi_dir, "/devpass.io-", NULL);

        for (size_t i = strv_length(d->cdi_written); prefix && i-- > 0;) {
                _cleanup_free_ char *p = strdup(d->cdi_written[i]);

                if (!p || startswith(p, prefix))
                        continue;
                if (unlink(p) < 0 && errno != ENOENT)
                        log_warning_errno(negative_errno(),
                                          "Cannot remove CDI spec %s: %m", p);
                written_set(d, p, false, record_changed);
        }
}

int dp_cdi_sync(dp_daemon *d)
{
        _cleanup_free_ export *e = NULL;
        bool record_changed = false;
        size_t n = 0;

        if (!d->cfg.cdi_dir)
                return 0;
        if (!d->cdi_loaded) {
                record_load(d);
                drop_foreign(d, &record_changed);
        }
        /* the common case costs nothing: no rule exports, nothing written */
        if (!policy_exports(d->policy) && strv_length(d->cdi_written) == 0) {
                if (record_changed)
                        record_save(d);
                return 0;
        }
        (void)collect(d, &e, &n);
        for (int c = 0; c < _DP_CLASS_MAX; c++) {
                json_object *a;

                if (!dp_cdi_kind(c) || c == DP_CLASS_UNKNOWN)
                        continue;
                a = class_devices(c, e, n);
                sync_class(d, c, a, &record_changed);
                json_object_put(a);
        }
        for (size_t i = 0; i < n; i++)
                json_object_put(e[i].dev);
        if (record_changed)
                record_save(d);
        return 0;
}
