/* SPDX-License-Identifier: MIT */
/* On a host with the NVIDIA driver: every NVIDIA GPU is one logical device
 * whose bundle holds /dev/nvidiaN (N from the driver's "Device Minor"),
 * nvidiactl and, when the driver registered them, nvidia-uvm(-tools) with
 * the major from /proc/devices; /dev/nvidia0 and pci: references resolve
 * to it. Exits 77 where there is no NVIDIA GPU. */
#include <dirent.h>
#include <string.h>

#include "check.h"
#include "devpass/hw.h"

static const dp_node *node(const dp_device *d, const char *path)
{
        for (size_t i = 0; i < d->n_nodes; i++)
                if (streq(d->nodes[i].path, path))
                        return &d->nodes[i];
        return NULL;
}

/* Independent of the code under test: a plain scan for " NAME\n". */
static int proc_major(const char *devices, const char *name)
{
        char pat[64];
        const char *p;
        int m = -1;

        snprintf(pat, sizeof(pat), " %s\n", name);
        p = strstr(devices, pat);
        if (!p || p > strstr(devices, "Block devices:"))
                return -1;
        while (p > devices && p[-1] != '\n')
                p--;
        return sscanf(p, "%d", &m) == 1 ? m : -1;
}

static void check_gpu(dp_hw *hw, const dp_device *d, const char *devices)
{
        _cleanup_free_ char *info = NULL, *path = NULL;
        const dp_node *n;
        char nv[32];
        int minor = -1, uvm;
        const char *p;

        printf("gpu %s driver %s vendor %04x product %04x, %zu nodes:\n",
               d->syspath, strna(d->driver), d->vendor, d->product, d->n_nodes);
        for (size_t i = 0; i < d->n_nodes; i++)
                printf("  %s %c %u:%u\n", d->nodes[i].path, d->nodes[i].type,
                       d->nodes[i].major, d->nodes[i].minor);
        CHECK(d->klass == DP_CLASS_GPU, "class %s",
              dp_class_to_string(d->klass));
        CHECK(d->has_vendor && d->vendor == 0x10de, "vendor %04x", d->vendor);
        CHECK(d->pci, "no pci slot");
        if (!d->pci)
                return;
        path = strjoin_sep("", "/proc/driver/nvidia/gpus/", d->pci,
                           "/information", NULL);
        CHECK(read_full_file(path, &info, NULL) == 0, "cannot read %s", path);
        p = info ? strstr(info, "Device Minor:") : NULL;
        CHECK(p && sscanf(p, "Device Minor: %d", &minor) == 1, "no minor in %s",
              path);
        snprintf(nv, sizeof(nv), "/dev/nvidia%d", minor);
        n = node(d, nv);
        CHECK(n && n->type == 'c' && n->major == 195 &&
                      n->minor == (unsigned)minor,
              "%s missing or wrong", nv);
        n = node(d, "/dev/nvidiactl");
        CHECK(n && n->major == 195 && n->minor == 255, "nvidiactl");
        uvm = proc_major(devices, "nvidia-uvm");
        if (uvm >= 0) {
                n = node(d, "/dev/nvidia-uvm");
                CHECK(n && n->major == (unsigned)uvm && n->minor == 0,
                      "nvidia-uvm");
                n = node(d, "/dev/nvidia-uvm-tools");
                CHECK(n && n->major == (unsigned)uvm && n->minor == 1,
                      "nvidia-uvm-tools");
        } else
                CHECK(!node(d, "/dev/nvidia-uvm"), "uvm without driver");
        if (proc_major(devices, "nvidia-caps") < 0)
                CHECK(!node(d, "/dev/nvidia-caps/nvidia-cap1"),
                      "caps without driver");

        {
                _cleanup_device_free_ dp_device *r1 = NULL, *r2 = NULL;
                char ref[64];

                snprintf(ref, sizeof(ref), "pci:%s", d->pci);
                CHECK(dp_hw_resolve(hw, ref, &r1) == 0 &&
                              streq(r1->syspath, d->syspath),
                      "resolve %s", ref);
                CHECK(dp_hw_resolve(hw, nv, &r2) == 0 &&
                              streq(r2->syspath, d->syspath),
                      "resolve %s", nv);
        }
}

int main(void)
{
        _cleanup_hw_free_ dp_hw *hw = NULL;
        _cleanup_free_ char *devices = NULL;
        dp_device_list l = {};
        size_t gpus = 0, nvidia = 0;
        int r;

        if (access("/proc/driver/nvidia/gpus", F_OK) < 0) {
                printf("SKIP: no NVIDIA driver (/proc/driver/nvidia/gpus)\n");
                return 77;
        }
        if (read_full_file("/proc/devices", &devices, NULL) < 0)
                return 1;
        r = dp_hw_new(&hw);
        if (r < 0)
                return 1;
        r = dp_hw_enumerate(hw, &l);
        CHECK(r == 0, "enumerate: %s", strerror(-r));
        for (size_t i = 0; i < l.n; i++) {
                const dp_device *d = l.items[i];

                if (d->klass == DP_CLASS_GPU)
                        gpus++;
                if (d->driver && streq(d->driver, "nvidia")) {
                        nvidia++;
                        check_gpu(hw, d, devices);
                }
                /* the driver's nodes are not devices of their own */
                for (size_t k = 0; k < d->n_nodes; k++)
                        if (d->klass != DP_CLASS_GPU)
                                CHECK(!startswith(d->nodes[k].path,
                                                  "/dev/nvidia"),
                                      "%s in a %s bundle", d->nodes[k].path,
                                      dp_class_to_string(d->klass));
        }
        CHECK(nvidia > 0, "no NVIDIA GPU enumerated (%zu GPUs)", gpus);
        dp_device_list_clear(&l);
        if (failures)
                fprintf(stderr, "%d check(s) failed\n", failures);
        else
                printf("ok: %zu NVIDIA GPU(s) checked\n", nvidia);
        return failures ? 1 : 0;
}
