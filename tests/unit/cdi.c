/* SPDX-License-Identifier: MIT */
/* CDI specs (agent/core/cdi.c): names from stable identity, the whole
 * bundle as deviceNodes with the rule's settings, the lowest cdiVersion,
 * and atomic replacement of the spec file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/cdi.h"
#include "devpass/util.h"

static dp_device *dev(dp_class c, const char *name)
{
        dp_device *d = dp_device_new();

        assert_non_null(d);
        d->klass = c;
        d->name = strdup(name);
        return d;
}

static void assert_name(const dp_device *d, const char *want)
{
        _cleanup_free_ char *n = NULL;

        assert_int_equal(dp_cdi_name(d, &n), 0);
        assert_string_equal(n, want);
}

static void test_names(void **state)
{
        _cleanup_device_free_ dp_device *gpu = dev(DP_CLASS_GPU, "card1");
        _cleanup_device_free_ dp_device *usb = dev(DP_CLASS_USB, "1-1.2");
        _cleanup_device_free_ dp_device *blk = dev(DP_CLASS_BLOCK, "loop3");
        _cleanup_free_ char *id = NULL;

        gpu->pci = strdup("0000:01:00.0");
        assert_name(gpu, "0000:01:00.0");
        assert_int_equal(dp_cdi_id(gpu, &id), 0);
        assert_string_equal(id, "devpass.io/gpu=0000:01:00.0");
        /* a serial wins over the port; odd characters are replaced */
        assert_name(usb, "1-1.2");
        usb->has_vendor = usb->has_product = true;
        usb->vendor = 0x0403;
        usb->product = 0x6001;
        usb->serial = strdup("A9 x/Y");
        assert_name(usb, "0403-6001-A9_x_Y");
        /* a loop device is known by its backing file, not its minor */
        assert_name(blk, "loop3");
        assert_int_equal(
                strv_extend(&blk->properties,
                            "DEVPASS_LOOP_BACKING_FILE=/srv/disk 1.img"),
                0);
        assert_name(blk, "file_srv_disk_1.img");
}

static void test_spec(void **state)
{
        _cleanup_device_free_ dp_device *blk = dev(DP_CLASS_BLOCK, "loop3");
        _cleanup_device_free_ dp_device *gpu = dev(DP_CLASS_GPU, "card1");
        dp_grant_settings g = {.mode = 0640,
                               .owner = 5,
                               .group = 6,
                               .access = DP_ACCESS_READ,
                               .path = (char *)"/dev/disk0"};
        json_object *devs = json_object_new_array(), *d = NULL, *spec = NULL;
        json_object *n;

        assert_int_equal(dp_cdi_device_json(blk, NULL, &d), -ENODEV);
        assert_int_equal(dp_device_add_node(blk, "/dev/loop3", 'b', 7, 3), 0);
        /* the host path, the rule's settings left out: 0.3.0 covers it */
        assert_int_equal(dp_cdi_device_json(blk, NULL, &d), 0);
        json_object_array_add(devs, d);
        assert_int_equal(dp_cdi_spec_json(DP_CLASS_BLOCK, devs, &spec), 0);
        assert_string_equal(json_object_get_string(
                                    json_object_object_get(spec, "cdiVersion")),
                            "0.3.0");
        json_object_put(spec);
        json_object_put(devs);
        devs = json_object_new_array();
        /* Path= moves the node: hostPath names the host's, and needs 0.5.0 */
        assert_int_equal(dp_cdi_device_json(blk, &g, &d), 0);
        json_object_array_add(devs, d);
        assert_int_equal(dp_cdi_spec_json(DP_CLASS_BLOCK, devs, &spec), 0);
        assert_string_equal(json_object_get_string(
                                    json_object_object_get(spec, "cdiVersion")),
                            "0.5.0");
        assert_string_equal(
                json_object_get_string(json_object_object_get(spec, "kind")),
                "devpass.io/block");
        n = json_object_array_get_idx(
                json_object_object_get(
                        json_object_object_get(d, "containerEdits"),
                        "deviceNodes"),
                0);
        assert_string_equal(
                json_object_get_string(json_object_object_get(n, "path")),
                "/dev/disk0");
        assert_string_equal(
                json_object_get_string(json_object_object_get(n, "hostPath")),
                "/dev/loop3");
        assert_int_equal(
                json_object_get_int(json_object_object_get(n, "major")), 7);
        assert_int_equal(
                json_object_get_int(json_object_object_get(n, "fileMode")),
                0640);
        assert_int_equal(json_object_get_int(json_object_object_get(n, "uid")),
                         5);
        assert_string_equal(json_object_get_string(
                                    json_object_object_get(n, "permissions")),
                            "r");
        json_object_put(spec);

        /* Companions=no: the device's own node only */
        assert_int_equal(dp_device_add_node(blk, "/dev/loop3p1", 'b', 259, 0),
                         0);
        assert_int_equal(dp_cdi_device_json(blk, &g, &d), 0);
        assert_int_equal(json_object_array_length(json_object_object_get(
                                 json_object_object_get(d, "containerEdits"),
                                 "deviceNodes")),
                         1);
        json_object_put(d);
        g.companions = true;
        assert_int_equal(dp_cdi_device_json(blk, &g, &d), 0);
        assert_int_equal(json_object_array_length(json_object_object_get(
                                 json_object_object_get(d, "containerEdits"),
                                 "deviceNodes")),
                         2);
        json_object_put(d);

        /* a name that starts with a digit needs 0.5.0, not more */
        gpu->pci = strdup("0000:01:00.0");
        assert_int_equal(dp_device_add_node(gpu, "/dev/dri/card1", 'c', 226, 1),
                         0);
        assert_int_equal(
                strv_extend(&gpu->properties, "NVIDIA_GPU_UUID=GPU-1234-abcd"),
                0);
        assert_int_equal(dp_cdi_device_json(gpu, NULL, &d), 0);
        assert_string_equal(
                json_object_get_string(json_object_array_get_idx(
                        json_object_object_get(
                                json_object_object_get(d, "containerEdits"),
                                "env"),
                        0)),
                "NVIDIA_GPU_UUID=GPU-1234-abcd");
        json_object_array_add(devs, d);
        assert_int_equal(dp_cdi_spec_json(DP_CLASS_GPU, devs, &spec), 0);
        assert_string_equal(json_object_get_string(
                                    json_object_object_get(spec, "cdiVersion")),
                            "0.5.0");
        json_object_put(spec);
        json_object_put(devs);
}

static void test_write(void **state)
{
        char dir[] = "/tmp/dpt-cdi-XXXXXX", cmd[64];
        _cleanup_free_ char *path = NULL, *text = NULL;
        json_object *spec = json_object_new_object();
        struct stat a, b;
        bool changed;

        assert_non_null(mkdtemp(dir));
        json_object_object_add(spec, "kind",
                               json_object_new_string("devpass.io/block"));
        assert_int_equal(dp_cdi_spec_path(dir, DP_CLASS_BLOCK, &path), 0);
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, spec, &changed), 0);
        assert_true(changed);
        assert_int_equal(stat(path, &a), 0);
        assert_int_equal(a.st_mode & 07777, 0644);
        assert_int_equal(read_full_file(path, &text, NULL), 0);
        assert_non_null(strstr(text, "devpass.io/block"));
        /* the same spec again: the file (its inode) stays */
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, spec, &changed), 0);
        assert_false(changed);
        assert_int_equal(stat(path, &b), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        /* a change replaces the file by a rename: a new inode, whole */
        json_object_object_add(spec, "devices", json_object_new_array());
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, spec, &changed), 0);
        assert_true(changed);
        assert_int_equal(stat(path, &b), 0);
        assert_int_not_equal(a.st_ino, b.st_ino);
        /* a dir others may write to is refused, and left as it is */
        assert_int_equal(chmod(dir, 0777), 0);
        json_object_object_add(spec, "x", json_object_new_int(1));
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, spec, &changed),
                         -EPERM);
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, NULL, &changed),
                         -EPERM);
        assert_int_equal(stat(path, &a), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        assert_int_equal(chmod(dir, 0755), 0);
        /* nothing exported: no spec file */
        assert_int_equal(dp_cdi_write(dir, DP_CLASS_BLOCK, NULL, &changed), 0);
        assert_true(changed);
        assert_int_equal(access(path, F_OK), -1);
        json_object_put(spec);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_spec),
                cmocka_unit_test(test_write),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
