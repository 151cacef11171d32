/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the text devpass parses itself rather than through
 * libudev (it has no uevent wire parser of its own: libudev's monitor
 * decodes uevents). Byte 0 picks the parser, the rest is its input, lines
 * split on '\n':
 *   0: input capability bitmaps (sysfs capabilities/ev, key, abs, rel, sw,
 *      properties) → classification
 *   1: /proc/devices text → major lookup
 *   2: /proc/driver/nvidia/gpus/<slot>/information → "Device Minor"
 *   3: a CLI device reference and a PCI slot */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text, *lines[6] = {0};
        unsigned u;

        if (size < 1)
                return 0;
        text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = 0;
        switch (data[0] % 4) {
        case 0: {
                char *p = text;

                for (size_t i = 0; i < 6 && p; i++) {
                        lines[i] = p;
                        p = strchr(p, '\n');
                        if (p)
                                *p++ = 0;
                }
                (void)dp_hw_input_classify_sysfs(lines[0], lines[1], lines[2],
                                                 lines[3], lines[4], lines[5]);
                break;
        }
        case 1:
                (void)dp_hw_proc_devices_major(text, 'c', "nvidia-uvm", &u);
                (void)dp_hw_proc_devices_major(text, 'b', "loop", &u);
                (void)dp_hw_proc_devices_has(text, 'c', 195, "nvidia");
                break;
        case 2:
                (void)dp_hw_nvidia_parse_minor(text, &u);
                break;
        case 3: {
                dp_hw_ref r = {0};
                char *slot = NULL;

                if (dp_hw_ref_parse(text, &r) >= 0)
                        dp_hw_ref_done(&r);
                if (dp_hw_pci_slot_normalize(text, &slot) >= 0)
                        free(slot);
                break;
        }
        }
        free(text);
        return 0;
}
