/* SPDX-License-Identifier: MIT */
/* The pure parts of Forward=yes (agent/act/forward-wire.c): hashes and tag
 * bloom bits compared with what the installed libudev computes (read back
 * from the socket filter it installs), udev database record text, and the
 * layout of the libudev netlink message. No root needed. */
#include <endian.h>
#include <linux/filter.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <libudev.h>

#include "devpass/macro.h"
#include "devpass/util.h"
#include "forward-wire.h"

static const char *const hash_inputs[] = {
        "a",
        "ab",
        "abc",
        "abcd",
        "abcde",
        "block",
        "disk",
        "net",
        "input",
        "drm",
        "usb",
        "usb_device",
        "sound",
        "tty",
        "partition",
        "hidraw",
        "misc",
        "macvtap",
        "seat",
        "uaccess",
        "master-of-seat",
        "systemd",
        "a_rather_long_subsystem_name_0123456789",
};

/* Installs libudev's own monitor filter for one subsystem (or one tag) and
 * returns the constants it compares with: the subsystem hash, or the
 * bloom words. That is libudev's MurmurHash2, whatever version is
 * installed. */
static void libudev_filter(const char *subsystem, const char *tag,
                           uint32_t *ret_hash, uint64_t *ret_bloom)
{
        struct udev *u = udev_new();
        struct udev_monitor *m;
        /* Zeroed: valgrind cannot see the kernel fill it. */
        struct sock_filter f[64] = {{0}};
        socklen_t n = ELEMENTSOF(f);
        uint32_t hi = 0, lo = 0;
        bool got = false;

        assert_non_null(u);
        m = udev_monitor_new_from_netlink(u, "udev");
        assert_non_null(m);
        if (subsystem)
                assert_int_equal(
                        udev_monitor_filter_add_match_subsystem_devtype(
                                m, subsystem, NULL),
                        0);
        if (tag)
                assert_int_equal(udev_monitor_filter_add_match_tag(m, tag), 0);
        assert_int_equal(udev_monitor_filter_update(m), 0);
        assert_int_equal(getsockopt(udev_monitor_get_fd(m), SOL_SOCKET,
                                    SO_GET_FILTER, f, &n),
                         0);
        /* A load of a header field is followed by the compare (subsystem)
         * or the AND (tag bloom) that holds libudev's value. */
        for (socklen_t i = 0; i + 1 < n; i++) {
                if (f[i].code != (BPF_LD | BPF_W | BPF_ABS))
                        continue;
                if (f[i].k == DP_UDEV_OFF_SUBSYSTEM_HASH && ret_hash) {
                        *ret_hash = f[i + 1].k;
                        got = true;
                } else if (f[i].k == DP_UDEV_OFF_BLOOM_HI) {
                        hi = f[i + 1].k;
                } else if (f[i].k == DP_UDEV_OFF_BLOOM_LO) {
                        lo = f[i + 1].k;
                        got = true;
                }
        }
        assert_true(got);
        if (ret_bloom)
                *ret_bloom = ((uint64_t)hi << 32) | lo;
        udev_monitor_unref(m);
        udev_unref(u);
}

static void test_hash_matches_libudev(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(hash_inputs); i++) {
                uint32_t want = 0;

                libudev_filter(hash_inputs[i], NULL, &want, NULL);
                if (dp_udev_string_hash32(hash_inputs[i]) != want)
                        fail_msg("hash of \"%s\": %#x, libudev %#x",
                                 hash_inputs[i],
                                 dp_udev_string_hash32(hash_inputs[i]), want);
        }
}

static void test_bloom_matches_libudev(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(hash_inputs); i++) {
                uint64_t want = 0;

                libudev_filter(NULL, hash_inputs[i], NULL, &want);
                if (dp_udev_string_bloom64(hash_inputs[i]) != want)
                        fail_msg("bloom of \"%s\": %#llx, libudev %#llx",
                                 hash_inputs[i],
                                 (unsigned long long)dp_udev_string_bloom64(
                                         hash_inputs[i]),
                                 (unsigned long long)want);
        }
}

/* Fixed vectors (checked against libudev above and by a real receiver in
 * the privileged test), so a change shows even without libudev. */
static void test_hash_vectors(void **state)
{
        assert_int_equal(dp_udev_murmur2("", 0, 0), 0);
        assert_int_equal(dp_udev_string_hash32("block"), 0xf0031db7u);
        assert_int_equal(dp_udev_string_hash32("disk"), 0x7bcbc5eeu);
        assert_int_equal(dp_udev_string_bloom64("seat"),
                         (UINT64_C(0x2080000) << 32) | UINT64_C(0x400001));
        /* Every bloom has between one and four bits. */
        for (size_t i = 0; i < ELEMENTSOF(hash_inputs); i++) {
                int bits = __builtin_popcountll(
                        dp_udev_string_bloom64(hash_inputs[i]));

                assert_true(bits >= 1 && bits <= 4);
        }
}

static void test_tags_and_props(void **state)
{
        char *props[] = {
                "TAGS=:seat:uaccess:", "CURRENT_TAGS=:seat:kbd:", NULL};
        char *tags[] = {"uaccess", "x", NULL};
        char *udevd_tags[] = {"", "systemd", NULL}; /* from ":systemd:" */
        char *bad[] = {"../etc", NULL};
        char *badprops[] = {"TAGS=:a/b:", NULL};
        _cleanup_strv_free_ char **l = NULL;
        char id[32];

        assert_true(dp_udev_tag_valid("seat"));
        assert_true(dp_udev_tag_valid("master-of-seat"));
        assert_false(dp_udev_tag_valid(""));
        assert_false(dp_udev_tag_valid(NULL));
        assert_false(dp_udev_tag_valid("."));
        assert_false(dp_udev_tag_valid(".."));
        assert_false(dp_udev_tag_valid("a/b"));
        assert_false(dp_udev_tag_valid("a:b"));
        assert_false(dp_udev_tag_valid("a b"));
        assert_false(dp_udev_tag_valid("a\nb"));

        assert_int_equal(dp_udev_tags_merge(tags, props, &l), 0);
        assert_int_equal(strv_length(l), 4);
        assert_string_equal(l[0], "uaccess");
        assert_string_equal(l[1], "x");
        assert_string_equal(l[2], "seat");
        assert_string_equal(l[3], "kbd");
        strv_free(TAKE_PTR(l));
        assert_int_equal(dp_udev_tags_merge(NULL, NULL, &l), 0);
        assert_int_equal(strv_length(l), 0);
        strv_free(TAKE_PTR(l));
        assert_int_equal(dp_udev_tags_merge(udevd_tags, NULL, &l), 0);
        assert_int_equal(strv_length(l), 1);
        assert_string_equal(l[0], "systemd");
        strv_free(TAKE_PTR(l));
        assert_int_equal(dp_udev_tags_merge(bad, NULL, &l), -EINVAL);
        assert_int_equal(dp_udev_tags_merge(NULL, badprops, &l), -EINVAL);
        assert_null(l);

        assert_true(dp_udev_prop_skipped("DEVNAME=/dev/x", false));
        assert_true(dp_udev_prop_skipped("DEVLINKS=/dev/a /dev/b", false));
        assert_true(dp_udev_prop_skipped("SEQNUM=5", false));
        assert_true(dp_udev_prop_skipped(".PRIVATE=1", false));
        assert_true(dp_udev_prop_skipped("NOEQUALS", false));
        assert_true(dp_udev_prop_skipped("=x", false));
        assert_true(dp_udev_prop_skipped("X=a\nE:INJECTED=1", true));
        assert_false(dp_udev_prop_skipped("DRIVER=loop", false));
        assert_true(dp_udev_prop_skipped("DRIVER=loop", true));
        assert_false(dp_udev_prop_skipped("ID_INPUT_KEYBOARD=1", true));
        assert_false(dp_udev_prop_skipped("MAJORITY=1", true));

        assert_int_equal(dp_udev_device_id('b', 7, 3, id), 0);
        assert_string_equal(id, "b7:3");
        assert_int_equal(dp_udev_device_id('c', 13, 67, id), 0);
        assert_string_equal(id, "c13:67");
        assert_int_equal(dp_udev_device_id('x', 1, 1, id), -EINVAL);
}

static void test_db_record(void **state)
{
        char *props[] = {"DEVPATH=/devices/virtual/block/loop3",
                         "DEVNAME=/dev/loop3",
                         "ID_FS_TYPE=ext4",
                         ".HIDDEN=1",
                         "DRIVER=x",
                         "DEVPASS_TEST=1",
                         "BROKEN=a\nE:EVIL=1",
                         "TAGS=:seat:",
                         NULL};
        char *tags[] = {"seat", "uaccess", NULL};
        char *badtags[] = {"a/b", NULL};
        _cleanup_free_ char *rec = NULL, *rec2 = NULL;
        _cleanup_strv_free_ char **parsed = NULL;

        assert_int_equal(dp_udev_db_record(props, tags, 123456789, &rec), 0);
        assert_string_equal(rec, "I:123456789\n"
                                 "E:ID_FS_TYPE=ext4\n"
                                 "E:DEVPASS_TEST=1\n"
                                 "G:seat\n"
                                 "G:uaccess\n"
                                 "Q:seat\n"
                                 "Q:uaccess\n"
                                 "V:1\n");
        assert_int_equal(dp_udev_db_record(NULL, NULL, 0, &rec2), 0);
        assert_string_equal(rec2, "V:1\n");
        assert_int_equal(dp_udev_db_record(NULL, badtags, 1, &rec2), -EINVAL);

        assert_int_equal(dp_udev_db_record_tags(rec, &parsed), 0);
        assert_int_equal(strv_length(parsed), 2);
        assert_string_equal(parsed[0], "seat");
        assert_string_equal(parsed[1], "uaccess");
        strv_free(TAKE_PTR(parsed));
        /* A rewritten record cannot steer removal out of the tag dir. */
        assert_int_equal(
                dp_udev_db_record_tags("G:../../etc\nG:ok\nG:\nGX", &parsed),
                0);
        assert_int_equal(strv_length(parsed), 1);
        assert_string_equal(parsed[0], "ok");
}

static uint32_t be32_at(const uint8_t *p)
{
        uint32_t v;

        memcpy(&v, p, 4);
        return be32toh(v);
}

static uint32_t host32_at(const uint8_t *p)
{
        uint32_t v;

        memcpy(&v, p, 4);
        return v;
}

static void test_message_layout(void **state)
{
        char *props[] = {"ACTION=change",   "DEVNAME=/dev/loop3",
                         "ID_FS_TYPE=ext4", ".HIDDEN=1",
                         "DEVPASS_TEST=1",  NULL};
        char *tags[] = {"seat", "uaccess", NULL};
        const dp_udev_event ev = {
                .action = "add",
                .devpath = "/devices/virtual/block/loop3",
                .subsystem = "block",
                .devtype = "disk",
                .devname = "/dev/disk0",
                .type = 'b',
                .major = 7,
                .minor = 3,
                .seqnum = 4242,
                .usec_initialized = 99,
                .props = props,
                .tags = tags,
        };
        static const char want_props[] =
                "ACTION=add\0"
                "DEVPATH=/devices/virtual/block/loop3\0"
                "SUBSYSTEM=block\0"
                "DEVTYPE=disk\0"
                "DEVNAME=/dev/disk0\0"
                "MAJOR=7\0"
                "MINOR=3\0"
                "SEQNUM=4242\0"
                "USEC_INITIALIZED=99\0"
                "ID_FS_TYPE=ext4\0"
                "DEVPASS_TEST=1\0"
                "TAGS=:seat:uaccess:\0"
                "CURRENT_TAGS=:seat:uaccess:\0";
        _cleanup_free_ uint8_t *msg = NULL;
        uint64_t bloom = dp_udev_string_bloom64("seat") |
                         dp_udev_string_bloom64("uaccess");
        size_t len = 0;

        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), 0);
        assert_int_equal(len, DP_UDEV_HEADER_SIZE + sizeof(want_props) - 1);
        assert_memory_equal(msg, "libudev\0", 8);
        assert_int_equal(be32_at(msg + DP_UDEV_OFF_MAGIC), 0xfeedcafeu);
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_HEADER_SIZE), 40);
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_PROPS_OFF), 40);
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_PROPS_LEN),
                         sizeof(want_props) - 1);
        assert_int_equal(be32_at(msg + DP_UDEV_OFF_SUBSYSTEM_HASH),
                         0xf0031db7u);
        assert_int_equal(be32_at(msg + DP_UDEV_OFF_DEVTYPE_HASH), 0x7bcbc5eeu);
        assert_int_equal(be32_at(msg + DP_UDEV_OFF_BLOOM_HI),
                         (uint32_t)(bloom >> 32));
        assert_int_equal(be32_at(msg + DP_UDEV_OFF_BLOOM_LO), (uint32_t)bloom);
        assert_memory_equal(msg + 40, want_props, sizeof(want_props) - 1);
}

static void test_message_minimal_and_limits(void **state)
{
        dp_udev_event ev = {
                .action = "remove",
                .devpath = "/devices/virtual/net/m0/macvtap/tap9",
                .subsystem = "macvtap",
                .type = 'c',
                .major = 240,
                .minor = 1,
                .seqnum = 1,
        };
        _cleanup_free_ uint8_t *msg = NULL;
        _cleanup_free_ char *big = NULL;
        char *bigprops[] = {NULL, NULL};
        size_t len = 0;

        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), 0);
        /* No devtype, no tags: those header words stay zero. */
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_DEVTYPE_HASH), 0);
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_BLOOM_HI), 0);
        assert_int_equal(host32_at(msg + DP_UDEV_OFF_BLOOM_LO), 0);
        assert_int_equal(msg[len - 1], 0);
        assert_non_null(memmem(msg + 40, len - 40, "MAJOR=240\0MINOR=1\0", 18));
        free(TAKE_PTR(msg));

        ev.seqnum = 0;
        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), -EINVAL);
        ev.seqnum = 1;
        ev.devpath = "devices/x";
        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), -EINVAL);
        ev.devpath = "/devices/x";
        ev.type = 'x';
        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), -EINVAL);
        ev.type = 'c';

        big = malloc(DP_UDEV_MESSAGE_MAX);
        assert_non_null(big);
        memset(big, 'A', DP_UDEV_MESSAGE_MAX - 1);
        big[DP_UDEV_MESSAGE_MAX - 1] = 0;
        big[3] = '=';
        bigprops[0] = big;
        ev.props = bigprops;
        assert_int_equal(dp_udev_message_build(&ev, &msg, &len), -E2BIG);
        assert_null(msg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash_matches_libudev),
                cmocka_unit_test(test_bloom_matches_libudev),
                cmocka_unit_test(test_hash_vectors),
                cmocka_unit_test(test_tags_and_props),
                cmocka_unit_test(test_db_record),
                cmocka_unit_test(test_message_layout),
                cmocka_unit_test(test_message_minimal_and_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
