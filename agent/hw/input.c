/* SPDX-License-Identifier: MIT */
/* Input device classification (keyboard, mouse, joystick, …) from evdev
 * capability bits. The same decision function serves two sources: libevdev
 * on the event node (what the kernel answers through EVIOCG* ioctls) and the
 * sysfs capability bitmaps of the inputN device, so that a host where the
 * node cannot be opened classifies the device the same way. The rules follow
 * udev's input_id builtin. */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include <libevdev/libevdev.h>
#include <linux/input.h>

#include "hw-internal.h"

#define BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)
#define NLONGS(n)     (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

typedef struct input_caps {
        unsigned long ev[NLONGS(EV_CNT)];
        unsigned long key[NLONGS(KEY_CNT)];
        unsigned long abs[NLONGS(ABS_CNT)];
        unsigned long rel[NLONGS(REL_CNT)];
        unsigned long sw[NLONGS(SW_CNT)];
        unsigned long prop[NLONGS(INPUT_PROP_CNT)];
} input_caps;

static bool test_bit(const unsigned long *bits, unsigned bit)
{
        return (bits[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1ul;
}

static void set_bit(unsigned long *bits, unsigned bit)
{
        bits[bit / BITS_PER_LONG] |= 1ul << (bit % BITS_PER_LONG);
}

static bool any_bit(const unsigned long *bits, unsigned from, unsigned to)
{
        for (unsigned b = from; b < to; b++)
                if (test_bit(bits, b))
                        return true;
        return false;
}

/* A full keyboard has (nearly) all letter keys and Enter; a device with a
 * few keys (power button, media keys, a remote) is only a "key" device. */
static bool is_keyboard(const input_caps *c)
{
        static const unsigned letters[] = {
                KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
                KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
                KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
        };
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(letters); i++)
                n += test_bit(c->key, letters[i]);
        /* Some layouts and compact keyboards lack a letter or two. */
        return n >= 24 && test_bit(c->key, KEY_ENTER);
}

/* Keys outside the button ranges: what makes a device a "key" device. */
static bool has_plain_keys(const input_caps *c)
{
        return any_bit(c->key, KEY_ESC, BTN_MISC) ||
               any_bit(c->key, KEY_OK, BTN_DPAD_UP) ||
               any_bit(c->key, KEY_ALS_TOGGLE, BTN_TRIGGER_HAPPY);
}

static bool has_joystick_buttons(const input_caps *c)
{
        /* BTN_JOYSTICK..BTN_DIGI-1 covers joystick and gamepad buttons
         * (BTN_GAMEPAD == BTN_SOUTH), then the d-pad and the "trigger
         * happy" range that many pads use for extra buttons. */
        return any_bit(c->key, BTN_JOYSTICK, BTN_DIGI) ||
               any_bit(c->key, BTN_DPAD_UP, BTN_DPAD_RIGHT + 1) ||
               any_bit(c->key, BTN_TRIGGER_HAPPY, BTN_TRIGGER_HAPPY40 + 1);
}

static bool has_joystick_axes(const input_caps *c)
{
        /* Axes that only joysticks and pads have: the second stick,
         * throttle, rudder, wheel, pedals and hats. */
        return any_bit(c->abs, ABS_RX, ABS_PRESSURE);
}

static unsigned classify(const input_caps *c)
{
        bool has_key = test_bit(c->ev, EV_KEY);
        bool has_abs = test_bit(c->ev, EV_ABS) && test_bit(c->abs, ABS_X) &&
                       test_bit(c->abs, ABS_Y);
        bool has_mt = test_bit(c->ev, EV_ABS) &&
                      test_bit(c->abs, ABS_MT_POSITION_X) &&
                      test_bit(c->abs, ABS_MT_POSITION_Y);
        bool has_rel = test_bit(c->ev, EV_REL) && test_bit(c->rel, REL_X) &&
                       test_bit(c->rel, REL_Y);
        bool mouse_button = has_key && test_bit(c->key, BTN_MOUSE);
        bool touch = has_key && test_bit(c->key, BTN_TOUCH);
        bool pen = has_key && (test_bit(c->key, BTN_TOOL_PEN) ||
                               test_bit(c->key, BTN_STYLUS));
        bool finger = has_key && test_bit(c->key, BTN_TOOL_FINGER) && !pen;
        bool direct = test_bit(c->prop, INPUT_PROP_DIRECT);
        bool pointer = test_bit(c->prop, INPUT_PROP_POINTER);
        bool stick = test_bit(c->prop, INPUT_PROP_POINTING_STICK);
        bool accel = test_bit(c->prop, INPUT_PROP_ACCELEROMETER);
        bool joy = has_key && has_joystick_buttons(c);
        unsigned r = 0;

        if (accel)
                return 0; /* motion sensor of a pad or laptop, not input */

        if (has_abs || has_mt) {
                if (pen)
                        r |= DP_INPUT_TABLET;
                else if ((finger && !direct) || (pointer && !stick))
                        r |= DP_INPUT_TOUCHPAD;
                else if (mouse_button && has_abs)
                        r |= DP_INPUT_MOUSE; /* absolute (VM) mice */
                else if (touch || direct)
                        r |= DP_INPUT_TOUCHSCREEN;
                else if (has_abs)
                        /* ABS_X/ABS_Y without touch, pen or finger: a
                         * stick */
                        r |= DP_INPUT_JOYSTICK;
        } else if (joy || (test_bit(c->ev, EV_ABS) && has_joystick_axes(c)))
                r |= DP_INPUT_JOYSTICK;

        if (!(r & (DP_INPUT_TABLET | DP_INPUT_TOUCHPAD | DP_INPUT_JOYSTICK)) &&
            mouse_button && (has_rel || !has_abs))
                r |= DP_INPUT_MOUSE;

        if (has_key) {
                if (is_keyboard(c))
                        r |= DP_INPUT_KEYBOARD;
                else if (has_plain_keys(c))
                        r |= DP_INPUT_KEY;
        }
        if (test_bit(c->ev, EV_SW) && any_bit(c->sw, 0, SW_CNT))
                r |= DP_INPUT_SWITCH;
        return r;
}

/* Sysfs bitmaps ("capabilities/key" etc.) are hex words separated by spaces,
 * most significant first, each one `long` wide, leading zero words left
 * out. Bits beyond the array are ignored. */
static void parse_bitmap(const char *s, unsigned long *bits, size_t n_longs)
{
        _cleanup_strv_free_ char **words = NULL;
        size_t n;

        memset(bits, 0, n_longs * sizeof(unsigned long));
        if (isempty(s) || strv_split_ws(s, &words) < 0)
                return;
        n = strv_length(words);
        for (size_t i = 0; i < n; i++) {
                size_t idx = n - 1 - i;
                char *end;
                unsigned long v;

                if (idx >= n_longs)
                        continue;
                errno = 0;
                v = strtoul(words[i], &end, 16);
                if (errno != 0 || end == words[i] || *end)
                        continue;
                bits[idx] = v;
        }
}

unsigned dp_hw_input_classify_sysfs(const char *ev, const char *key,
                                    const char *abs, const char *rel,
                                    const char *sw, const char *props)
{
        input_caps c;

        parse_bitmap(ev, c.ev, ELEMENTSOF(c.ev));
        parse_bitmap(key, c.key, ELEMENTSOF(c.key));
        parse_bitmap(abs, c.abs, ELEMENTSOF(c.abs));
        parse_bitmap(rel, c.rel, ELEMENTSOF(c.rel));
        parse_bitmap(sw, c.sw, ELEMENTSOF(c.sw));
        parse_bitmap(props, c.prop, ELEMENTSOF(c.prop));
        return classify(&c);
}

static void caps_from_evdev(const struct libevdev *ev, input_caps *c)
{
        static const struct {
                unsigned type, cnt;
                size_t off;
        } types[] = {
                {EV_KEY, KEY_CNT, offsetof(input_caps, key)},
                {EV_ABS, ABS_CNT, offsetof(input_caps, abs)},
                {EV_REL, REL_CNT, offsetof(input_caps, rel)},
                {EV_SW, SW_CNT, offsetof(input_caps, sw)},
        };

        memset(c, 0, sizeof(*c));
        for (unsigned t = 0; t < EV_CNT; t++)
                if (libevdev_has_event_type(ev, t))
                        set_bit(c->ev, t);
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                unsigned long *bits =
                        (unsigned long *)((char *)c + types[i].off);

                for (unsigned code = 0; code < types[i].cnt; code++)
                        if (libevdev_has_event_code(ev, types[i].type, code))
                                set_bit(bits, code);
        }
        for (unsigned p = 0; p < INPUT_PROP_CNT; p++)
                if (libevdev_has_property(ev, p))
                        set_bit(c->prop, p);
}

/* The inputN device's event node: from the bundle, else from its eventN
 * child in sysfs (the node is then /dev/input/eventN). */
static int find_event_node(const dp_device *d, char **ret)
{
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;

        for (size_t i = 0; i < d->n_nodes; i++) {
                const char *base = strrchr(d->nodes[i].path, '/');

                base = base ? base + 1 : d->nodes[i].path;
                if (startswith(base, "event")) {
                        char *p = strdup(d->nodes[i].path);

                        if (!p)
                                return -ENOMEM;
                        *ret = p;
                        return 0;
                }
        }
        if (!d->syspath)
                return -ENOENT;
        dir = opendir(d->syspath);
        if (!dir)
                return negative_errno();
        while ((de = readdir(dir))) {
                if (startswith(de->d_name, "event")) {
                        char *p = strjoin_sep("/", "/dev/input", de->d_name,
                                              NULL);

                        if (!p)
                                return -ENOMEM;
                        *ret = p;
                        return 0;
                }
        }
        return -ENOENT;
}

static int classify_evdev(const char *node, unsigned *ret)
{
        _cleanup_close_ int fd = -EBADF;
        struct libevdev *ev = NULL;
        input_caps c;
        int r;

        fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        r = libevdev_new_from_fd(fd, &ev);
        if (r < 0)
                return r;
        caps_from_evdev(ev, &c);
        libevdev_free(ev);
        *ret = classify(&c);
        return 0;
}

static int classify_sysfs_dir(const char *syspath, unsigned *ret)
{
        static const char *const files[] = {
                "capabilities/ev",  "capabilities/key", "capabilities/abs",
                "capabilities/rel", "capabilities/sw",  "properties",
        };
        char *v[ELEMENTSOF(files)] = {};
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p =
                        strjoin_sep("/", syspath, files[i], NULL);

                if (!p) {
                        r = -ENOMEM;
                        goto out;
                }
                /* A missing file is an empty bitmap, but without "ev" there
                 * is nothing to classify. */
                if (read_one_line(p, &v[i]) < 0 && i == 0) {
                        r = -ENOENT;
                        goto out;
                }
        }
        *ret = dp_hw_input_classify_sysfs(v[0], v[1], v[2], v[3], v[4], v[5]);
out:
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                free(v[i]);
        return r;
}

int dp_hw_input_enrich(dp_hw *hw, dp_device *d)
{
        _cleanup_free_ char *node = NULL;
        unsigned bits = 0;
        int r, q;

        if (!d || !d->subsystem || !streq(d->subsystem, "input") || !d->name ||
            !startswith(d->name, "input"))
                return 0;

        r = find_event_node(d, &node);
        if (r >= 0)
                r = classify_evdev(node, &bits);
        if (r < 0) {
                /* The node may be unreadable (EACCES, a vanished device, a
                 * kernel without evdev): sysfs holds the same bits. */
                q = d->syspath ? classify_sysfs_dir(d->syspath, &bits)
                               : -ENOENT;
                if (q < 0)
                        return r;
        }
        d->input = bits;
        return 0;
}
