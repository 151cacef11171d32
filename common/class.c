/* SPDX-License-Identifier: MIT */
/* The device class table (devpass/device.h): one row per class. */
#include <stdio.h>
#include <string.h>

#include "devpass/device.h"

static const dp_class_desc classes[_DP_CLASS_MAX] = {
        [DP_CLASS_UNKNOWN] = {.name = "unknown"},
        [DP_CLASS_GPU] = {.name = "gpu",
                          .subsystems = "pci platform drm",
                          .bundle = "drm",
                          .links = true},
        [DP_CLASS_USB] = {.name = "usb", .subsystems = "usb", .bundle = "usb"},
        [DP_CLASS_INPUT] = {.name = "input",
                            .subsystems = "input",
                            .bundle = "input"},
        [DP_CLASS_NET] = {.name = "net", .subsystems = "net", .nic = true},
        [DP_CLASS_BLOCK] = {.name = "block", .subsystems = "block"},
        [DP_CLASS_TTY] = {.name = "tty", .subsystems = "tty"},
        [DP_CLASS_SOUND] = {.name = "sound",
                            .subsystems = "sound",
                            .bundle = "sound"},
        [DP_CLASS_VIDEO] = {.name = "video", .subsystems = "video4linux"},
        [DP_CLASS_HIDRAW] = {.name = "hidraw", .subsystems = "hidraw"},
        [DP_CLASS_CHAR] = {.name = "char"},
};

const dp_class_desc *dp_class_desc_of(dp_class c)
{
        return &classes[(unsigned)c < _DP_CLASS_MAX ? c : DP_CLASS_UNKNOWN];
}

static bool word_in(const char *words, const char *w)
{
        size_t n = strlen(w);

        for (const char *p = words; p && *p;) {
                size_t len = strcspn(p, " ");

                if (len == n && strneq(p, w, n))
                        return true;
                p += len;
                p += strspn(p, " ");
        }
        return false;
}

dp_class dp_class_of_subsystem(const char *subsystem)
{
        for (size_t i = 1; subsystem && i < _DP_CLASS_MAX; i++)
                if (word_in(classes[i].subsystems, subsystem))
                        return (dp_class)i;
        return DP_CLASS_CHAR;
}

void dp_class_words(char *buf, size_t size)
{
        size_t n = 0;

        if (size == 0)
                return;
        buf[0] = 0;
        for (size_t i = 1; i < _DP_CLASS_MAX && n < size; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%s",
                                      i > 1 ? " " : "", classes[i].name);
}

const char *dp_class_to_string(dp_class c)
{
        return dp_class_desc_of(c)->name;
}

dp_class dp_class_from_string(const char *s)
{
        for (size_t i = 1; s && i < _DP_CLASS_MAX; i++)
                if (streq(s, classes[i].name))
                        return (dp_class)i;
        return DP_CLASS_UNKNOWN;
}
