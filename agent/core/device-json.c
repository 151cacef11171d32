/* SPDX-License-Identifier: MIT */
/* The stable JSON shape of a device (`devices --json`, DESIGN.md §1).
 * Every key is always present, null when unknown, so that scripts can
 * index without checking. */
#include <json-c/json.h>
#include <string.h>

#include "devpass/hw.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put)
#define _cleanup_json_ _cleanup_(json_object_putp)

static int add(struct json_object *o, const char *key, struct json_object *v)
{
        /* json_object_object_add takes v even on failure in json-c 0.16 */
        if (json_object_object_add(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static struct json_object *str_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
        struct json_object *v = str_or_null(s);

        if (s && !v)
                return -ENOMEM;
        return add(o, key, v);
}

static int add_hex(struct json_object *o, const char *key, bool has, uint16_t v)
{
        char buf[8];

        if (!has)
                return add(o, key, NULL);
        snprintf(buf, sizeof(buf), "%04x", v);
        return add_str(o, key, buf);
}

static int nodes_json(const dp_device *d, struct json_object **ret)
{
        _cleanup_json_ struct json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_nodes; i++) {
                const dp_node *n = &d->nodes[i];
                struct json_object *o = json_object_new_object();
                char t[2] = {n->type, 0};

                if (!o)
                        return -ENOMEM;
                if (json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                if (add_str(o, "path", n->path) < 0 ||
                    add_str(o, "type", t) < 0 ||
                    add(o, "major", json_object_new_int64(n->major)) < 0 ||
                    add(o, "minor", json_object_new_int64(n->minor)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int input_json(const dp_device *d, struct json_object **ret)
{
        _cleanup_json_ struct json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (unsigned bit = 1; bit; bit <<= 1) {
                const char *w = (d->input & bit) ? dp_input_word(bit) : NULL;
                struct json_object *s;

                if (!w)
                        continue;
                s = json_object_new_string(w);
                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int properties_json(const dp_device *d, struct json_object **ret)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        STRV_FOREACH (p, d->properties) {
                const char *eq = strchr(*p, '=');
                _cleanup_free_ char *k = NULL;

                if (!eq)
                        continue;
                k = strndup(*p, (size_t)(eq - *p));
                if (!k || add_str(o, k, eq + 1) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int dp_device_to_json(const dp_device *d, struct json_object **ret)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *nodes = NULL, *input = NULL, *props = NULL;
        int r;

        if (!d || !ret)
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (add_str(o, "syspath", d->syspath) < 0 ||
            add_str(o, "subsystem", d->subsystem) < 0 ||
            add_str(o, "devtype", d->devtype) < 0 ||
            add_str(o, "class", dp_class_to_string(d->klass)) < 0 ||
            add_str(o, "name", d->name) < 0 ||
            add_str(o, "driver", d->driver) < 0 ||
            add_hex(o, "vendor", d->has_vendor, d->vendor) < 0 ||
            add_hex(o, "product", d->has_product, d->product) < 0 ||
            add_str(o, "serial", d->serial) < 0 ||
            add_str(o, "pci", d->pci) < 0 || add_str(o, "mac", d->mac) < 0)
                return -ENOMEM;
        r = input_json(d, &input);
        if (r < 0 || (r = add(o, "input", input)) < 0)
                return r;
        r = nodes_json(d, &nodes);
        if (r < 0 || (r = add(o, "nodes", nodes)) < 0)
                return r;
        if (add_str(o, "parent", d->parent_syspath) < 0)
                return -ENOMEM;
        r = properties_json(d, &props);
        if (r < 0 || (r = add(o, "properties", props)) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}
