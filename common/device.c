/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "devpass/device.h"

static const char *const input_words[] = {
        "keyboard",    "mouse",  "joystick", "touchpad",
        "touchscreen", "tablet", "switch",   "key",
};

const char *dp_input_word(unsigned bit)
{
        for (size_t i = 0; i < ELEMENTSOF(input_words); i++)
                if (bit == 1u << i)
                        return input_words[i];
        return NULL;
}

int dp_input_from_word(const char *word, unsigned *ret_bit)
{
        for (size_t i = 0; word && i < ELEMENTSOF(input_words); i++)
                if (streq(word, input_words[i])) {
                        *ret_bit = 1u << i;
                        return 0;
                }
        return -EINVAL;
}

dp_device *dp_device_new(void)
{
        return calloc(1, sizeof(dp_device));
}

void dp_device_free(dp_device *d)
{
        if (!d)
                return;
        if (d->packed) {
                free(d); /* one block: see dp_device_pack() */
                return;
        }
        free(d->syspath);
        free(d->subsystem);
        free(d->devtype);
        free(d->name);
        free(d->driver);
        strv_free(d->drivers);
        free(d->serial);
        free(d->pci);
        free(d->mac);
        free(d->perm_mac);
        strv_free(d->properties);
        strv_free(d->tags);
        strv_free(d->attributes);
        for (size_t i = 0; i < d->n_nodes; i++)
                free(d->nodes[i].path);
        free(d->nodes);
        free(d->parent_syspath);
        free(d);
}

static int strdup_opt(const char *s, char **ret)
{
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int strv_copy_opt(char *const *l, char ***ret)
{
        *ret = NULL;
        if (!l)
                return 0;
        *ret = strv_copy(l);
        return *ret ? 0 : -ENOMEM;
}

dp_device *dp_device_copy(const dp_device *d)
{
        _cleanup_device_free_ dp_device *c = dp_device_new();

        if (!c)
                return NULL;
        *c = (dp_device){
                .klass = d->klass,
                .has_vendor = d->has_vendor,
                .has_product = d->has_product,
                .vendor = d->vendor,
                .product = d->product,
                .ifindex = d->ifindex,
                .input = d->input,
        };
        if (strdup_opt(d->syspath, &c->syspath) < 0 ||
            strdup_opt(d->subsystem, &c->subsystem) < 0 ||
            strdup_opt(d->devtype, &c->devtype) < 0 ||
            strdup_opt(d->name, &c->name) < 0 ||
            strdup_opt(d->driver, &c->driver) < 0 ||
            strv_copy_opt(d->drivers, &c->drivers) < 0 ||
            strdup_opt(d->serial, &c->serial) < 0 ||
            strdup_opt(d->pci, &c->pci) < 0 ||
            strdup_opt(d->mac, &c->mac) < 0 ||
            strdup_opt(d->perm_mac, &c->perm_mac) < 0 ||
            strv_copy_opt(d->properties, &c->properties) < 0 ||
            strv_copy_opt(d->tags, &c->tags) < 0 ||
            strv_copy_opt(d->attributes, &c->attributes) < 0 ||
            strdup_opt(d->parent_syspath, &c->parent_syspath) < 0)
                return NULL;
        for (size_t i = 0; i < d->n_nodes; i++)
                if (dp_device_add_node(c, d->nodes[i].path, d->nodes[i].type,
                                       d->nodes[i].major,
                                       d->nodes[i].minor) < 0)
                        return NULL;
        return TAKE_PTR(c);
}

int dp_device_add_node(dp_device *d, const char *path, char type,
                       unsigned major, unsigned minor)
{
        dp_node *n;

        if (!path || (type != 'c' && type != 'b'))
                return -EINVAL;
        for (size_t i = 0; i < d->n_nodes; i++)
                if (streq(d->nodes[i].path, path))
                        return 0;
        n = realloc(d->nodes, sizeof(dp_node) * (d->n_nodes + 1));
        if (!n)
                return -ENOMEM;
        d->nodes = n;
        n[d->n_nodes] = (dp_node){.path = strdup(path),
                                  .type = type,
                                  .major = major,
                                  .minor = minor};
        if (!n[d->n_nodes].path)
                return -ENOMEM;
        d->n_nodes++;
        return 0;
}

const char *dp_device_property(const dp_device *d, const char *key)
{
        return strv_env_get(d->properties, key);
}

const char *dp_device_attribute(const dp_device *d, const char *name)
{
        return strv_env_get(d->attributes, name);
}

void dp_device_list_clear(dp_device_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                dp_device_free(l->items[i]);
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

int dp_device_list_push(dp_device_list *l, dp_device *d)
{
        dp_device **n = realloc(l->items, sizeof(dp_device *) * (l->n + 1));

        if (!n)
                return -ENOMEM;
        l->items = n;
        l->items[l->n++] = d;
        return 0;
}

dp_device *dp_device_list_find(const dp_device_list *l, const char *syspath)
{
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i]->syspath, syspath))
                        return l->items[i];
        return NULL;
}

int dp_access_parse(const char *s, unsigned *ret)
{
        unsigned a = 0;

        if (isempty(s))
                return -EINVAL;
        for (; *s; s++) {
                unsigned bit = *s == 'r'   ? DP_ACCESS_READ
                               : *s == 'w' ? DP_ACCESS_WRITE
                               : *s == 'm' ? DP_ACCESS_MKNOD
                                           : 0;
                if (!bit || (a & bit))
                        return -EINVAL;
                a |= bit;
        }
        *ret = a;
        return 0;
}

const char *dp_access_to_string(unsigned access, char buf[static 4])
{
        char *p = buf;

        if (access & DP_ACCESS_READ)
                *p++ = 'r';
        if (access & DP_ACCESS_WRITE)
                *p++ = 'w';
        if (access & DP_ACCESS_MKNOD)
                *p++ = 'm';
        *p = 0;
        return buf;
}

/* Packing: the device, its strings and its arrays in one allocation. A
 * device is a few dozen small strings; as separate allocations each costs
 * malloc's header and rounding besides its bytes, about half of what an
 * agent tracking a thousand devices keeps resident. The first pass (base
 * NULL) only counts. */
typedef struct packer {
        char *base;
        size_t off;
} packer;

static void *pack_take(packer *p, size_t size, size_t align)
{
        void *at;

        p->off = (p->off + align - 1) & ~(align - 1);
        at = p->base ? p->base + p->off : NULL;
        p->off += size;
        return at;
}

static char *pack_str(packer *p, const char *s)
{
        size_t n;
        char *at;

        if (!s)
                return NULL;
        n = strlen(s) + 1;
        at = pack_take(p, n, 1);
        if (at)
                memcpy(at, s, n);
        return at;
}

static char **pack_strv(packer *p, char *const *v)
{
        size_t n = strv_length((char **)v);
        char **at;

        if (!v)
                return NULL;
        at = pack_take(p, sizeof(char *) * (n + 1), _Alignof(char *));
        for (size_t i = 0; i < n; i++) {
                char *s = pack_str(p, v[i]);

                if (at)
                        at[i] = s;
        }
        if (at)
                at[n] = NULL;
        return at;
}

static void pack_into(packer *p, const dp_device *d, dp_device *c)
{
        dp_node *nodes = d->n_nodes ? pack_take(p, sizeof(dp_node) * d->n_nodes,
                                                _Alignof(dp_node))
                                    : NULL;

        c->drivers = pack_strv(p, d->drivers);
        c->properties = pack_strv(p, d->properties);
        c->tags = pack_strv(p, d->tags);
        c->attributes = pack_strv(p, d->attributes);
        for (size_t i = 0; i < d->n_nodes; i++) {
                char *path = pack_str(p, d->nodes[i].path);

                if (nodes) {
                        nodes[i] = d->nodes[i];
                        nodes[i].path = path;
                }
        }
        c->nodes = nodes;
        c->syspath = pack_str(p, d->syspath);
        c->subsystem = pack_str(p, d->subsystem);
        c->devtype = pack_str(p, d->devtype);
        c->name = pack_str(p, d->name);
        c->driver = pack_str(p, d->driver);
        c->serial = pack_str(p, d->serial);
        c->pci = pack_str(p, d->pci);
        c->mac = pack_str(p, d->mac);
        c->perm_mac = pack_str(p, d->perm_mac);
        c->parent_syspath = pack_str(p, d->parent_syspath);
}

dp_device *dp_device_pack(dp_device *d)
{
        packer p = {.off = sizeof(dp_device)};
        dp_device scratch = {}, *c;

        if (!d || d->packed)
                return d;
        pack_into(&p, d, &scratch);
        c = malloc(p.off);
        if (!c)
                return d; /* keep the unpacked one: correct, only larger */
        *c = *d;
        p = (packer){.base = (char *)c, .off = sizeof(dp_device)};
        pack_into(&p, d, c);
        c->packed = true;
        dp_device_free(d);
        return c;
}
