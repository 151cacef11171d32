/* SPDX-License-Identifier: MIT */
/* udev database records and libudev netlink messages, built in memory.
 * Written from the formats systemd's sd-device reads and writes; libudev in
 * a container accepts nothing else. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devpass/macro.h"
#include "devpass/util.h"
#include "forward-wire.h"

uint32_t dp_udev_murmur2(const void *key, size_t len, uint32_t seed)
{
        const uint32_t m = 0x5bd1e995;
        const uint8_t *data = key;
        /* systemd passes the length as an int; only its low 32 bits take
         * part in the seed mix. */
        uint32_t h = seed ^ (uint32_t)len;

        while (len >= 4) {
                uint32_t k;

                /* Host byte order, like systemd's *(uint32_t *)data: the
                 * receiving libudev runs on the same host. */
                memcpy(&k, data, sizeof(k));
                k *= m;
                k ^= k >> 24;
                k *= m;
                h *= m;
                h ^= k;
                data += 4;
                len -= 4;
        }
        switch (len) {
        case 3:
                h ^= (uint32_t)data[2] << 16;
                /* fall through */
        case 2:
                h ^= (uint32_t)data[1] << 8;
                /* fall through */
        case 1:
                h ^= data[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

uint32_t dp_udev_string_hash32(const char *s)
{
        return dp_udev_murmur2(s, strlen(s), 0);
}

uint64_t dp_udev_string_bloom64(const char *s)
{
        uint32_t hash = dp_udev_string_hash32(s);
        uint64_t bits = 0;

        bits |= UINT64_C(1) << (hash & 63);
        bits |= UINT64_C(1) << ((hash >> 6) & 63);
        bits |= UINT64_C(1) << ((hash >> 12) & 63);
        bits |= UINT64_C(1) << ((hash >> 18) & 63);
        return bits;
}

bool dp_udev_tag_valid(const char *tag)
{
        if (isempty(tag) || streq(tag, ".") || streq(tag, "..") ||
            strlen(tag) > 255)
                return false;
        /* ':' separates tags in TAGS=, '/' would leave the tag directory,
         * whitespace and control characters break the record's lines. */
        for (const char *p = tag; *p; p++)
                if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' ||
                    *p == 0x7f)
                        return false;
        return true;
}

static bool key_in(const char *kv, const char *const *keys)
{
        size_t n = strcspn(kv, "=");

        for (; *keys; keys++)
                if (strlen(*keys) == n && strneq(kv, *keys, n))
                        return true;
        return false;
}

bool dp_udev_prop_skipped(const char *kv, bool in_record)
{
        /* Recomputed for the container, or meaningless there (host symlinks
         * under /dev do not exist inside). */
        static const char *const event_keys[] = {
                "ACTION",  "DEVPATH",      "SUBSYSTEM",
                "SEQNUM",  "MAJOR",        "MINOR",
                "DEVNAME", "DEVTYPE",      "USEC_INITIALIZED",
                "TAGS",    "CURRENT_TAGS", "DEVLINKS",
                NULL,
        };
        /* Read from sysfs by libudev inside; udevd never stores them. */
        static const char *const kernel_keys[] = {
                "DRIVER",   "DEVMODE",   "DEVUID",     "DEVGID",
                "IFINDEX",  "INTERFACE", "DISKSEQ",    "PARTN",
                "PARTNAME", "MODALIAS",  "SYNTH_UUID", NULL,
        };
        const char *eq;

        if (!kv)
                return true;
        eq = strchr(kv, '=');
        if (!eq || eq == kv || kv[0] == '.' || strpbrk(kv, "\n\r"))
                return true;
        if (key_in(kv, event_keys))
                return true;
        return in_record && key_in(kv, kernel_keys);
}

int dp_udev_device_id(char type, unsigned major, unsigned minor, char ret[32])
{
        if (type != 'c' && type != 'b')
                return -EINVAL;
        snprintf(ret, 32, "%c%u:%u", type, major, minor);
        return 0;
}

static int tags_add_list(char ***l, const char *list)
{
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (!list)
                return 0;
        copy = strdup(list);
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ":", &save); t;
             t = strtok_r(NULL, ":", &save)) {
                int r;

                if (!dp_udev_tag_valid(t))
                        return -EINVAL;
                if (strv_contains(*l, t))
                        continue;
                r = strv_extend(l, t);
                if (r < 0)
                        return r;
        }
        return 0;
}

int dp_udev_tags_merge(char *const *tags, char *const *props, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;
        int r;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        STRV_FOREACH (t, tags) {
                /* libudev (systemd 252) splits udevd's ":systemd:" form
                 * without coalescing the separators, so the list of a
                 * device that udevd tagged starts with "": no tag. */
                if (isempty(*t))
                        continue;
                if (!dp_udev_tag_valid(*t))
                        return -EINVAL;
                if (strv_contains(l, *t))
                        continue;
                r = strv_extend(&l, *t);
                if (r < 0)
                        return r;
        }
        r = tags_add_list(&l, strv_env_get(props, "TAGS"));
        if (r < 0)
                return r;
        r = tags_add_list(&l, strv_env_get(props, "CURRENT_TAGS"));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

static void fclose_memstream(FILE **f)
{
        if (*f)
                fclose(*f);
}

int dp_udev_db_record(char *const *props, char *const *tags,
                      uint64_t usec_initialized, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r = 0;

        {
                _cleanup_(fclose_memstream) FILE *f =
                        open_memstream(&buf, &size);

                if (!f)
                        return -ENOMEM;
                /* libudev treats a device with a record as initialized;
                 * I: says since when (CLOCK_MONOTONIC µs). */
                if (usec_initialized > 0)
                        fprintf(f, "I:%" PRIu64 "\n", usec_initialized);
                STRV_FOREACH (p, props)
                        if (!dp_udev_prop_skipped(*p, true))
                                fprintf(f, "E:%s\n", *p);
                STRV_FOREACH (t, tags) {
                        if (!dp_udev_tag_valid(*t)) {
                                r = -EINVAL;
                                break;
                        }
                        fprintf(f, "G:%s\n", *t);
                }
                /* Every tag we forward is current: the device is present. */
                STRV_FOREACH (t, tags)
                        fprintf(f, "Q:%s\n", *t);
                fputs("V:1\n", f);
                if (fflush(f) != 0 || ferror(f))
                        r = r < 0 ? r : -ENOMEM;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}

int dp_udev_db_record_tags(const char *record, char ***ret)
{
        _cleanup_strv_free_ char **l = NULL;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (const char *p = record; p && *p;) {
                size_t n = strcspn(p, "\n");

                if (n > 2 && strneq(p, "G:", 2)) {
                        _cleanup_free_ char *t = strndup(p + 2, n - 2);
                        int r;

                        if (!t)
                                return -ENOMEM;
                        /* A record the container rewrote may name anything:
                         * only plain tag names ever become paths. */
                        if (dp_udev_tag_valid(t) && !strv_contains(l, t)) {
                                r = strv_push(&l, TAKE_PTR(t));
                                if (r < 0)
                                        return r;
                        }
                }
                p += n;
                if (*p == '\n')
                        p++;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* A growing byte buffer for the NUL-separated property list. */
typedef struct nulbuf {
        uint8_t *data;
        size_t len, alloc;
        int error;
} nulbuf;

_printf_(2, 3) static void nul_addf(nulbuf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->error)
                return;
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->error = -EINVAL;
                return;
        }
        if (b->len + (size_t)n + 1 > DP_UDEV_MESSAGE_MAX) {
                b->error = -E2BIG;
                return;
        }
        if (b->len + (size_t)n + 1 > b->alloc) {
                size_t na = b->alloc ? b->alloc * 2 : 1024;
                uint8_t *nd;

                while (na < b->len + (size_t)n + 1)
                        na *= 2;
                nd = realloc(b->data, na);
                if (!nd) {
                        b->error = -ENOMEM;
                        return;
                }
                b->data = nd;
                b->alloc = na;
        }
        va_start(ap, fmt);
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n + 1; /* keeps the NUL: it separates entries */
}

static void put_be32(uint8_t *p, uint32_t v)
{
        v = htobe32(v);
        memcpy(p, &v, sizeof(v));
}

static void put_host32(uint8_t *p, uint32_t v)
{
        memcpy(p, &v, sizeof(v));
}

int dp_udev_message_build(const dp_udev_event *ev, uint8_t **ret_buf,
                          size_t *ret_len)
{
        _cleanup_free_ uint8_t *msg = NULL;
        nulbuf b = {0};
        uint64_t bloom = 0;

        if (!ev || isempty(ev->action) || isempty(ev->subsystem) ||
            !ev->devpath || ev->devpath[0] != '/' || ev->seqnum == 0 ||
            (ev->type != 'c' && ev->type != 'b'))
                return -EINVAL;

        /* What sd-device needs to accept the event (device_verify():
         * DEVPATH, SUBSYSTEM, ACTION, non-zero SEQNUM), then the node. */
        nul_addf(&b, "ACTION=%s", ev->action);
        nul_addf(&b, "DEVPATH=%s", ev->devpath);
        nul_addf(&b, "SUBSYSTEM=%s", ev->subsystem);
        if (!isempty(ev->devtype))
                nul_addf(&b, "DEVTYPE=%s", ev->devtype);
        if (!isempty(ev->devname))
                nul_addf(&b, "DEVNAME=%s", ev->devname);
        nul_addf(&b, "MAJOR=%u", ev->major);
        nul_addf(&b, "MINOR=%u", ev->minor);
        nul_addf(&b, "SEQNUM=%" PRIu64, ev->seqnum);
        if (ev->usec_initialized > 0)
                nul_addf(&b, "USEC_INITIALIZED=%" PRIu64, ev->usec_initialized);
        STRV_FOREACH (p, ev->props)
                if (!dp_udev_prop_skipped(*p, false))
                        nul_addf(&b, "%s", *p);
        if (ev->tags && ev->tags[0]) {
                _cleanup_free_ char *joined = NULL;
                size_t n = 2;

                STRV_FOREACH (t, ev->tags)
                        n += strlen(*t) + 1;
                joined = malloc(n);
                if (!joined) {
                        free(b.data);
                        return -ENOMEM;
                }
                strcpy(joined, ":");
                STRV_FOREACH (t, ev->tags) {
                        strcat(joined, *t);
                        strcat(joined, ":");
                        bloom |= dp_udev_string_bloom64(*t);
                }
                nul_addf(&b, "TAGS=%s", joined);
                nul_addf(&b, "CURRENT_TAGS=%s", joined);
        }
        if (b.error) {
                free(b.data);
                return b.error;
        }
        if (DP_UDEV_HEADER_SIZE + b.len > DP_UDEV_MESSAGE_MAX) {
                free(b.data);
                return -E2BIG;
        }

        msg = calloc(1, DP_UDEV_HEADER_SIZE + b.len);
        if (!msg) {
                free(b.data);
                return -ENOMEM;
        }
        memcpy(msg, "libudev", 8); /* with its NUL: receivers strcmp it */
        /* Magic and filter fields are big-endian because receivers match
         * them with classic BPF loads; sizes stay in host order. */
        put_be32(msg + DP_UDEV_OFF_MAGIC, DP_UDEV_MONITOR_MAGIC);
        put_host32(msg + DP_UDEV_OFF_HEADER_SIZE, DP_UDEV_HEADER_SIZE);
        put_host32(msg + DP_UDEV_OFF_PROPS_OFF, DP_UDEV_HEADER_SIZE);
        put_host32(msg + DP_UDEV_OFF_PROPS_LEN, (uint32_t)b.len);
        put_be32(msg + DP_UDEV_OFF_SUBSYSTEM_HASH,
                 dp_udev_string_hash32(ev->subsystem));
        if (!isempty(ev->devtype))
                put_be32(msg + DP_UDEV_OFF_DEVTYPE_HASH,
                         dp_udev_string_hash32(ev->devtype));
        if (bloom) {
                put_be32(msg + DP_UDEV_OFF_BLOOM_HI, (uint32_t)(bloom >> 32));
                put_be32(msg + DP_UDEV_OFF_BLOOM_LO,
                         (uint32_t)(bloom & 0xffffffffu));
        }
        memcpy(msg + DP_UDEV_HEADER_SIZE, b.data, b.len);
        free(b.data);
        *ret_len = DP_UDEV_HEADER_SIZE + b.len;
        *ret_buf = TAKE_PTR(msg);
        return 0;
}
