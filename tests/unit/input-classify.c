/* SPDX-License-Identifier: MIT */
/* Input classification from sysfs capability bitmaps. The bitmaps are those
 * the kernel shows for real devices of each kind (capabilities/ev, key, abs,
 * rel, sw and properties of the inputN device). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/hw-internal.h"

#define CLASSIFY(ev, key, abs, rel, sw, props) \
        dp_hw_input_classify_sysfs(ev, key, abs, rel, sw, props)

static void test_keyboard(void **state)
{
        /* A 105-key USB keyboard: SYN KEY MSC LED REP. */
        assert_int_equal(CLASSIFY("120013", "e0beffff01efffff fffffffffffffffe",
                                  "0", "0", "0", "0"),
                         DP_INPUT_KEYBOARD);
        /* The same with leading zero words written out. */
        assert_int_equal(CLASSIFY("120013",
                                  "0 0 0 0 0 0 0 0 0 0 e0beffff01efffff "
                                  "fffffffffffffffe",
                                  NULL, NULL, NULL, NULL),
                         DP_INPUT_KEYBOARD);
}

static void test_mouse(void **state)
{
        assert_int_equal(CLASSIFY("17", "1f0000 0 0 0 0", "0", "903", "0", "0"),
                         DP_INPUT_MOUSE);
        /* A trackpoint is a pointing stick, not a touchpad. */
        assert_int_equal(CLASSIFY("7", "70000 0 0 0 0", "0", "3", "0", "21"),
                         DP_INPUT_MOUSE);
        /* Absolute pointer of a virtual machine: ABS_X/Y and buttons. */
        assert_int_equal(CLASSIFY("b", "70000 0 0 0 0", "3", "0", "0", "0"),
                         DP_INPUT_MOUSE);
}

static void test_joystick(void **state)
{
        /* Xbox 360 pad (xpad): face buttons, two sticks, triggers, hat. */
        assert_int_equal(CLASSIFY("20000b", "7cdb000000000000 0 0 0 0", "3003f",
                                  "0", "0", "0"),
                         DP_INPUT_JOYSTICK);
        /* A flight stick: BTN_TRIGGER.., throttle and rudder. */
        assert_int_equal(
                CLASSIFY("1b", "f00000000 0 0 0 0", "30063", "0", "0", "0"),
                DP_INPUT_JOYSTICK);
}

static void test_touchpad(void **state)
{
        assert_int_equal(CLASSIFY("b", "e520 10000 0 0 0 0", "660800001000003",
                                  "0", "0", "5"),
                         DP_INPUT_TOUCHPAD);
}

static void test_touchscreen(void **state)
{
        assert_int_equal(CLASSIFY("b", "400 0 0 0 0 0", "260800000000003", "0",
                                  "0", "2"),
                         DP_INPUT_TOUCHSCREEN);
        /* Multitouch without INPUT_PROP_DIRECT but without a finger tool. */
        assert_int_equal(CLASSIFY("b", "400 0 0 0 0 0", "260800000000000", "0",
                                  "0", "0"),
                         DP_INPUT_TOUCHSCREEN);
}

static void test_tablet(void **state)
{
        assert_int_equal(
                CLASSIFY("1b", "1c03 0 0 0 0 0", "d000003", "0", "0", "1"),
                DP_INPUT_TABLET);
}

static void test_switch_and_keys(void **state)
{
        /* Lid switch. */
        assert_int_equal(CLASSIFY("21", "0", "0", "0", "1", "0"),
                         DP_INPUT_SWITCH);
        /* Power button: a key, not a keyboard. */
        assert_int_equal(CLASSIFY("3", "10000000000000 0", "0", "0", "0", "0"),
                         DP_INPUT_KEY);
        /* Media keys of a headset. */
        assert_int_equal(CLASSIFY("100013", "3800000000 e000000000000 0", "0",
                                  "0", "0", "0"),
                         DP_INPUT_KEY);
        /* EV_SW announced but no switch: nothing. */
        assert_int_equal(CLASSIFY("21", "0", "0", "0", "0", "0"), 0);
}

static void test_nothing(void **state)
{
        /* An accelerometer is no input device for a container. */
        assert_int_equal(CLASSIFY("9", "0", "7", "0", "0", "40"), 0);
        assert_int_equal(CLASSIFY(NULL, NULL, NULL, NULL, NULL, NULL), 0);
        assert_int_equal(CLASSIFY("", "", "", "", "", ""), 0);
        /* Garbage words are ignored rather than misread. */
        assert_int_equal(
                CLASSIFY("zz", "xyz fffffffffffffffe", "0", "0", "0", "0"), 0);
        /* Bits a kernel may know beyond our arrays are ignored. */
        assert_int_equal(CLASSIFY("ffffffff 21", "0", "0", "0",
                                  "1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "0"),
                         DP_INPUT_SWITCH);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keyboard),
                cmocka_unit_test(test_mouse),
                cmocka_unit_test(test_joystick),
                cmocka_unit_test(test_touchpad),
                cmocka_unit_test(test_touchscreen),
                cmocka_unit_test(test_tablet),
                cmocka_unit_test(test_switch_and_keys),
                cmocka_unit_test(test_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
