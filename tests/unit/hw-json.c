/* SPDX-License-Identifier: MIT */
/* The `devices --json` element: every key present, ids as 4-digit
 * lowercase hex, absent values null, nodes as the whole bundle. */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devpass/hw.h"

static struct json_object *get(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static void test_gpu(void **state)
{
        _cleanup_device_free_ dp_device *d = dp_device_new();
        struct json_object *o = NULL, *nodes, *n, *input;

        d->syspath = strdup("/sys/devices/pci0000:00/0000:00:06.0");
        d->subsystem = strdup("pci");
        d->klass = DP_CLASS_GPU;
        d->name = strdup("0000:00:06.0");
        d->driver = strdup("nvidia");
        d->has_vendor = d->has_product = true;
        d->vendor = 0x10de;
        d->product = 0x0a;
        d->pci = strdup("0000:00:06.0");
        d->input = DP_INPUT_KEYBOARD | DP_INPUT_MOUSE;
        assert_int_equal(strv_env_set(&d->properties, "PCI_ID", "10DE:2330"),
                         0);
        assert_int_equal(dp_device_add_node(d, "/dev/nvidia0", 'c', 195, 0), 0);
        assert_int_equal(dp_device_add_node(d, "/dev/nvidiactl", 'c', 195, 255),
                         0);

        assert_int_equal(dp_device_to_json(d, &o), 0);
        assert_string_equal(json_object_get_string(get(o, "syspath")),
                            "/sys/devices/pci0000:00/0000:00:06.0");
        assert_string_equal(json_object_get_string(get(o, "class")), "gpu");
        assert_string_equal(json_object_get_string(get(o, "subsystem")), "pci");
        assert_string_equal(json_object_get_string(get(o, "vendor")), "10de");
        assert_string_equal(json_object_get_string(get(o, "product")), "000a");
        assert_string_equal(json_object_get_string(get(o, "driver")), "nvidia");
        assert_string_equal(json_object_get_string(get(o, "pci")),
                            "0000:00:06.0");
        assert_null(get(o, "serial"));
        assert_null(get(o, "mac"));
        assert_null(get(o, "devtype"));
        assert_null(get(o, "parent"));
        input = get(o, "input");
        assert_int_equal(json_object_array_length(input), 2);
        assert_string_equal(
                json_object_get_string(json_object_array_get_idx(input, 0)),
                "keyboard");
        assert_string_equal(
                json_object_get_string(json_object_array_get_idx(input, 1)),
                "mouse");
        nodes = get(o, "nodes");
        assert_int_equal(json_object_array_length(nodes), 2);
        n = json_object_array_get_idx(nodes, 1);
        assert_string_equal(json_object_get_string(get(n, "path")),
                            "/dev/nvidiactl");
        assert_string_equal(json_object_get_string(get(n, "type")), "c");
        assert_int_equal(json_object_get_int(get(n, "major")), 195);
        assert_int_equal(json_object_get_int(get(n, "minor")), 255);
        assert_string_equal(
                json_object_get_string(get(get(o, "properties"), "PCI_ID")),
                "10DE:2330");
        json_object_put(o);
}

static void test_minimal(void **state)
{
        _cleanup_device_free_ dp_device *d = dp_device_new();
        struct json_object *o = NULL;
        const char *text;

        d->syspath = strdup("/sys/devices/virtual/block/loop3");
        d->subsystem = strdup("block");
        d->devtype = strdup("disk");
        d->klass = DP_CLASS_BLOCK;
        d->name = strdup("loop3");
        assert_int_equal(dp_device_add_node(d, "/dev/loop3", 'b', 7, 3), 0);
        assert_int_equal(dp_device_to_json(d, &o), 0);
        assert_null(get(o, "vendor"));
        assert_null(get(o, "product"));
        assert_null(get(o, "driver"));
        assert_null(get(o, "pci"));
        assert_int_equal(json_object_array_length(get(o, "input")), 0);
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        assert_non_null(strstr(text, "\"nodes\":[{\"path\":\"\\/dev\\/loop3\","
                                     "\"type\":\"b\",\"major\":7,"
                                     "\"minor\":3}]"));
        json_object_put(o);
        assert_int_equal(dp_device_to_json(NULL, &o), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gpu),
                cmocka_unit_test(test_minimal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
