/* SPDX-License-Identifier: MIT */
/* The kubelet names a claim (namespace, name, uid); what the scheduler
 * allocated to it is in the ResourceClaim's status, on the API server. Each
 * allocated device of this driver must be one devpassd exports now (its
 * CDI specs are the source: the policy decided there), else the claim
 * fails with a reason, never with a stale node. What was prepared becomes
 * a per-claim CDI spec (kind devpass.io/claim), so the container gets the
 * bundle as the policy shaped it. */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/cdi.h"
#include "devpass/util.h"
#include "dra/claims.h"
#include "dra/kubeapi.h"

#define CLAIM_KIND "devpass.io/claim"

static int fail(char **ret_error, int r, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (ret_error && vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

size_t dra_json_len(json_object *o)
{
        return json_object_is_type(o, json_type_array)
                       ? json_object_array_length(o)
                       : 0;
}

void dra_devices_free(dra_device *d, size_t n)
{
        for (size_t i = 0; d && i < n; i++) {
                free(d[i].request);
                free(d[i].pool);
                free(d[i].device);
                free(d[i].cdi_id);
        }
        free(d);
}

char *dra_device_name(const char *cdi_class, const char *cdi_name)
{
        _cleanup_free_ char *s = strjoin_sep("-", cdi_class, cdi_name, NULL);
        char *out, *o;
        uint32_t h = 2166136261u; /* FNV-1a of the full name */

        if (!s)
                return NULL;
        out = o = malloc(strlen(s) + 1);
        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                char ch = (char)tolower((unsigned char)*p);

                h = (h ^ (unsigned char)*p) * 16777619u;
                if (!isalnum((unsigned char)ch))
                        ch = '-';
                if (ch == '-' && (o == out || o[-1] == '-'))
                        continue;
                *o++ = ch;
        }
        while (o > out && o[-1] == '-')
                o--;
        *o = 0;
        /* a long name keeps its start and a hash of the whole, so that
         * two long names that differ at the end stay apart */
        if (strlen(out) > 63)
                snprintf(out + 54, 10, "-%08x", h);
        return out;
}

/* Kubernetes names: lowercase RFC 1123 subdomains; anything else would
 * be a path or query injected into the API URL. */
static bool valid_k8s_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 253)
                return false;
        for (; *s; s++)
                if (!(islower((unsigned char)*s) ||
                      isdigit((unsigned char)*s) || *s == '-' || *s == '.'))
                        return false;
        return true;
}

static bool valid_uid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-')
                        return false;
        return true;
}

/* The claim's allocation results of this driver, as JSON objects. */
static int fetch_results(const dra_config *c, const char *ns, const char *uid,
                         const char *name, json_object **ret_claim,
                         char **ret_error)
{
        _cleanup_free_ char *path = NULL, *body = NULL;
        json_object *claim;
        const char *got_uid;
        long code = 0;
        int r;

        if (!valid_k8s_name(ns) || !valid_k8s_name(name) || !valid_uid(uid))
                return fail(ret_error, -EINVAL, "invalid claim reference");
        if (asprintf(&path,
                     "/apis/resource.k8s.io/v1/namespaces/%s/resourceclaims/%s",
                     ns, name) < 0)
                return -ENOMEM;
        r = kube_request(c, "GET", path, NULL, &code, &body);
        if (r < 0)
                return fail(ret_error, r, "API server %s unreachable", c->api);
        if (code == 404)
                return fail(ret_error, -ENOENT, "ResourceClaim %s/%s not found",
                            ns, name);
        if (code != 200)
                return fail(ret_error, -EIO,
                            "API server answered %ld for ResourceClaim %s/%s",
                            code, ns, name);
        claim = json_tokener_parse(body);
        got_uid = json_object_get_string(json_object_object_get(
                json_object_object_get(claim, "metadata"), "uid"));
        if (!got_uid || !streq(got_uid, uid)) {
                /* the message first: got_uid lives in claim */
                r = fail(ret_error, -ESTALE,
                         "ResourceClaim %s/%s has uid %s, not %s", ns, name,
                         got_uid ? got_uid : "(none)", uid);
                json_object_put(claim);
                return r;
        }
        *ret_claim = claim;
        return 0;
}

json_object *dra_exported(const dra_config *c)
{
        json_object *out = json_object_new_array();
        DIR *d = opendir(c->cdi_dir);
        struct dirent *de;

        while (out && d && (de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                json_object *spec, *devs;
                const char *kind;

                /* devpassd's class specs; claim specs are ours, not its */
                if (!startswith(de->d_name, "devpass.io-") ||
                    startswith(de->d_name, "devpass.io-claim-") ||
                    !endswith(de->d_name, ".json"))
                        continue;
                p = strjoin_sep("/", c->cdi_dir, de->d_name, NULL);
                spec = p ? json_object_from_file(p) : NULL;
                kind = json_object_get_string(
                        json_object_object_get(spec, "kind"));
                devs = json_object_object_get(spec, "devices");
                for (size_t i = 0; kind && startswith(kind, "devpass.io/") &&
                                   i < dra_json_len(devs);
                     i++) {
                        json_object *dev = json_object_array_get_idx(devs, i);
                        const char *name = json_object_get_string(
                                json_object_object_get(dev, "name"));
                        const char *cls = kind + strlen("devpass.io/");
                        _cleanup_free_ char *n = dra_device_name(cls, name);
                        json_object *o = json_object_new_object();

                        if (!n || !o || !name) {
                                json_object_put(o);
                                continue;
                        }
                        json_object_object_add(o, "dra",
                                               json_object_new_string(n));
                        json_object_object_add(o, "class",
                                               json_object_new_string(cls));
                        json_object_object_add(o, "kind",
                                               json_object_new_string(kind));
                        json_object_object_add(o, "name",
                                               json_object_new_string(name));
                        json_object_object_add(o, "device",
                                               json_object_get(dev));
                        json_object_array_add(out, o);
                }
                json_object_put(spec);
        }
        if (d)
                closedir(d);
        return out;
}

/* The CDI device devpassd exports under DRA name want. */
static json_object *find_exported(const dra_config *c, const char *want)
{
        json_object *all = dra_exported(c), *found = NULL;

        for (size_t i = 0; i < dra_json_len(all); i++) {
                json_object *o = json_object_array_get_idx(all, i);

                if (streq(json_object_get_string(
                                  json_object_object_get(o, "dra")),
                          want)) {
                        found = json_object_get(
                                json_object_object_get(o, "device"));
                        break;
                }
        }
        json_object_put(all);
        return found;
}

static char *claim_spec_name(const char *uid)
{
        return strjoin_sep("", "devpass.io-claim-", uid, ".json", NULL);
}

/* Adds one allocated device: its CDI device renamed UID-DEVICE. */
static int add_device(const dra_config *c, const char *uid, json_object *res,
                      json_object *cdi_devs, dra_device *out, char **ret_error)
{
        const char *pool =
                json_object_get_string(json_object_object_get(res, "pool"));
        const char *dev =
                json_object_get_string(json_object_object_get(res, "device"));
        const char *req =
                json_object_get_string(json_object_object_get(res, "request"));
        _cleanup_free_ char *cdi_name = NULL;
        json_object *exp, *o;

        if (!pool || !dev)
                return fail(ret_error, -EINVAL,
                            "allocation result without pool or device");
        exp = find_exported(c, dev);
        if (!exp)
                return fail(ret_error, -ENODEV,
                            "device %s/%s is not on this node any more "
                            "(unplugged, or no longer exported by policy)",
                            pool, dev);
        cdi_name = strjoin_sep("-", uid, dev, NULL);
        o = json_object_new_object();
        if (!cdi_name || !o) {
                json_object_put(exp);
                json_object_put(o);
                return -ENOMEM;
        }
        json_object_object_add(o, "name", json_object_new_string(cdi_name));
        json_object_object_add(
                o, "containerEdits",
                json_object_get(json_object_object_get(exp, "containerEdits")));
        json_object_put(exp);
        json_object_array_add(cdi_devs, o);
        *out = (dra_device){
                .request = req ? strdup(req) : NULL,
                .pool = strdup(pool),
                .device = strdup(dev),
                .cdi_id = strjoin_sep("=", CLAIM_KIND, cdi_name, NULL),
        };
        return out->pool && out->device && out->cdi_id ? 0 : -ENOMEM;
}

static int write_claim_spec(const dra_config *c, const char *uid,
                            json_object *cdi_devs, char **ret_error)
{
        _cleanup_free_ char *file = claim_spec_name(uid);
        json_object *spec = json_object_new_object();
        int r;

        if (!file || !spec) {
                json_object_put(spec);
                return -ENOMEM;
        }
        /* a uid may start with a digit: names like that need 0.5.0 */
        json_object_object_add(spec, "cdiVersion",
                               json_object_new_string("0.5.0"));
        json_object_object_add(spec, "kind",
                               json_object_new_string(CLAIM_KIND));
        json_object_object_add(spec, "devices", json_object_get(cdi_devs));
        r = dp_cdi_write_file(c->cdi_dir, file, spec, NULL);
        json_object_put(spec);
        if (r < 0)
                return fail(ret_error, r, "writing CDI spec %s/%s: %s",
                            c->cdi_dir, file, strerror(-r));
        return 0;
}

int dra_prepare(const dra_config *c, const char *ns, const char *uid,
                const char *name, dra_device **ret, size_t *ret_n,
                char **ret_error)
{
        json_object *claim = NULL, *results, *cdi_devs;
        dra_device *out = NULL;
        size_t n = 0, len;
        int r;

        r = fetch_results(c, ns, uid, name, &claim, ret_error);
        if (r < 0)
                return r;
        results = json_object_object_get(
                json_object_object_get(
                        json_object_object_get(
                                json_object_object_get(claim, "status"),
                                "allocation"),
                        "devices"),
                "results");
        len = dra_json_len(results);
        out = calloc(len + 1, sizeof(dra_device));
        cdi_devs = json_object_new_array();
        if (!out || !cdi_devs) {
                r = -ENOMEM;
                goto done;
        }
        for (size_t i = 0; i < len; i++) {
                json_object *res = json_object_array_get_idx(results, i);
                const char *drv = json_object_get_string(
                        json_object_object_get(res, "driver"));

                if (!drv || !streq(drv, c->driver))
                        continue; /* another driver's device */
                r = add_device(c, uid, res, cdi_devs, &out[n], ret_error);
                n++;
                if (r < 0)
                        goto done;
        }
        r = write_claim_spec(c, uid, cdi_devs, ret_error);
done:
        json_object_put(cdi_devs);
        json_object_put(claim);
        if (r < 0) {
                dra_devices_free(out, n);
                return r;
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

int dra_unprepare(const dra_config *c, const char *uid, char **ret_error)
{
        _cleanup_free_ char *file = NULL;
        int r;

        if (!valid_uid(uid))
                return fail(ret_error, -EINVAL, "invalid claim uid");
        file = claim_spec_name(uid);
        if (!file)
                return -ENOMEM;
        r = dp_cdi_write_file(c->cdi_dir, file, NULL, NULL);
        if (r < 0)
                return fail(ret_error, r, "removing CDI spec %s/%s: %s",
                            c->cdi_dir, file, strerror(-r));
        return 0;
}
