/* SPDX-License-Identifier: MIT */
#pragma once

/* Pure pieces of the udev view devpass gives a container (forward.c): the
 * udev database record, the tag index name and the message libudev's
 * "udev" netlink monitors accept. No syscalls here, so all of it is unit
 * tested. Formats follow systemd's sd-device (device_update_db() and
 * device_monitor_send_device()), which libudev in the container reads. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libudev's netlink groups and message constants. */
#define DP_UDEV_GROUP_UDEV    2u
#define DP_UDEV_MONITOR_MAGIC 0xfeedcafeu
#define DP_UDEV_HEADER_SIZE   40u
/* Receivers read into an 8 KiB buffer and drop truncated messages. */
#define DP_UDEV_MESSAGE_MAX 8192u

/* Byte offsets of the header fields (struct monitor_netlink_header). */
enum {
        DP_UDEV_OFF_MAGIC = 8,           /* big-endian */
        DP_UDEV_OFF_HEADER_SIZE = 12,    /* host order */
        DP_UDEV_OFF_PROPS_OFF = 16,      /* host order */
        DP_UDEV_OFF_PROPS_LEN = 20,      /* host order */
        DP_UDEV_OFF_SUBSYSTEM_HASH = 24, /* big-endian */
        DP_UDEV_OFF_DEVTYPE_HASH = 28,   /* big-endian */
        DP_UDEV_OFF_BLOOM_HI = 32,       /* big-endian */
        DP_UDEV_OFF_BLOOM_LO = 36,       /* big-endian */
};

/* MurmurHash2 as systemd ships it: 4-byte blocks read in host byte order. */
uint32_t dp_udev_murmur2(const void *key, size_t len, uint32_t seed);
/* string_hash32(): MurmurHash2 of the string with seed 0. */
uint32_t dp_udev_string_hash32(const char *s);
/* string_bloom64(): four bits picked from the hash, for tag filters. */
uint64_t dp_udev_string_bloom64(const char *s);

/* True for a tag udev could have set and that is safe as a file name. */
bool dp_udev_tag_valid(const char *tag);
/* True for a KEY=VALUE the event must not copy from the host device: those
 * recomputed for the container (ACTION, DEVPATH, DEVNAME, MAJOR, SEQNUM,
 * TAGS, DEVLINKS, ...), udev's private ".KEY" ones, and anything that is not
 * KEY=VALUE on one line. in_record also skips what libudev inside reads from
 * sysfs itself (DRIVER, IFINDEX, ...): udevd keeps only the properties its
 * rules added in the database. */
bool dp_udev_prop_skipped(const char *kv, bool in_record);

/* "c<maj>:<min>" / "b<maj>:<min>": the record's and tag index's file name.
 * -EINVAL for another type. */
int dp_udev_device_id(char type, unsigned major, unsigned minor, char ret[32]);

/* Unique tags: those given, then the ones in props' TAGS= and CURRENT_TAGS=
 * (":a:b:"). Invalid tags give -EINVAL. */
int dp_udev_tags_merge(char *const *tags, char *const *props, char ***ret);

/* The text of /run/udev/data/<id>, in the order device_update_db() writes:
 * I:<usec>, E:KEY=VALUE per kept property, G:tag and Q:tag per tag, V:1. */
int dp_udev_db_record(char *const *props, char *const *tags,
                      uint64_t usec_initialized, char **ret);
/* The tags (G: lines) of a record, for removing its tag index entries. */
int dp_udev_db_record_tags(const char *record, char ***ret);

typedef struct dp_udev_event {
        const char *action;  /* "add", "remove", "change" */
        const char *devpath; /* sysfs path without /sys */
        const char *subsystem;
        const char *devtype; /* NULL: none */
        const char *devname; /* node path as seen inside */
        char type;           /* 'c' or 'b' */
        unsigned major, minor;
        uint64_t seqnum; /* must not be 0: receivers drop such events */
        uint64_t usec_initialized;
        char *const *props; /* KEY=VALUE; skipped ones are left out */
        char *const *tags;  /* already valid and unique */
} dp_udev_event;

/* Builds header + NUL-separated properties. -E2BIG when it would not fit a
 * receiver's buffer, -EINVAL for a missing field. */
int dp_udev_message_build(const dp_udev_event *ev, uint8_t **ret_buf,
                          size_t *ret_len);
