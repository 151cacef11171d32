/* SPDX-License-Identifier: MIT */
/* The node's devices as one ResourceSlice (resource.k8s.io/v1), the list
 * the scheduler allocates claims from: what devpassd exports now, read
 * from its CDI specs, with the facts of the device behind each node. The CDI
 * dir is watched with inotify; a change that alters the device list updates the
 * slice (a new pool generation), and the slice is deleted when the plugin
 * stops, so a node without devpass offers nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libudev.h>

#include "devpass/log.h"
#include "devpass/util.h"
#include "dra/kubeapi.h"
#include "dra/slices.h"

#define SLICES "/apis/resource.k8s.io/v1/resourceslices"

struct dra_slices {
        const dra_config *cfg;
        char *name;    /* NODE-DRIVER */
        char *devices; /* the device list last published, as JSON */
        int64_t generation;
        int inotify_fd;
        bool published;
};

static json_object *attr_string(const char *v)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "string", json_object_new_string(v));
        return o;
}

/* 0x10de -> 10de, as devpass writes ids everywhere */
static void add_id(json_object *a, const char *key, const char *v)
{
        if (!v)
                return;
        if (startswith(v, "0x"))
                v += 2;
        json_object_object_add(a, key, attr_string(v));
}

static void add_usb(json_object *a, struct udev_device *p)
{
        const char *serial = udev_device_get_sysattr_value(p, "serial");

        add_id(a, "vendor", udev_device_get_sysattr_value(p, "idVendor"));
        add_id(a, "product", udev_device_get_sysattr_value(p, "idProduct"));
        if (serial)
                json_object_object_add(a, "serial", attr_string(serial));
        json_object_object_add(a, "usbPort",
                               attr_string(udev_device_get_sysname(p)));
}

/* What the host knows of the device behind the node (type, major:minor):
 * the USB device or the PCI function it sits on, read from sysfs through
 * libudev as devpassd's probes do; nothing for a loop device. */
static void add_facts(json_object *a, json_object *node)
{
        const char *type =
                json_object_get_string(json_object_object_get(node, "type"));
        unsigned maj = (unsigned)json_object_get_int(
                json_object_object_get(node, "major"));
        unsigned min = (unsigned)json_object_get_int(
                json_object_object_get(node, "minor"));
        struct udev *u;
        struct udev_device *d, *p;
        bool ids = false;

        if (!type || (type[0] != 'b' && type[0] != 'c'))
                return;
        u = udev_new();
        d = u ? udev_device_new_from_devnum(u, type[0], makedev(maj, min))
              : NULL;
        for (p = d; p; p = udev_device_get_parent(p)) {
                const char *ss = udev_device_get_subsystem(p);
                const char *dt = udev_device_get_devtype(p);

                if (!ss)
                        continue;
                /* the nearest USB device or PCI function gives the ids */
                if (!ids && streq(ss, "usb") && dt && streq(dt, "usb_device")) {
                        add_usb(a, p);
                        ids = true;
                } else if (streq(ss, "pci")) {
                        if (!ids) {
                                add_id(a, "vendor",
                                       udev_device_get_sysattr_value(p,
                                                                     "vendor"));
                                add_id(a, "product",
                                       udev_device_get_sysattr_value(p,
                                                                     "device"));
                                ids = true;
                        }
                        json_object_object_add(
                                a, "pciSlot",
                                attr_string(udev_device_get_sysname(p)));
                        break;
                }
        }
        udev_device_unref(d);
        udev_unref(u);
}

/* One slice device: its DRA name and what a DeviceClass selector or a
 * request's CEL expression can look at. */
static json_object *slice_device(json_object *e)
{
        json_object *o = json_object_new_object(),
                    *a = json_object_new_object();
        json_object *dev = json_object_object_get(e, "device");
        json_object *nodes = json_object_object_get(
                json_object_object_get(dev, "containerEdits"), "deviceNodes");
        json_object *env = json_object_object_get(
                json_object_object_get(dev, "containerEdits"), "env");
        _cleanup_free_ char *id = strjoin_sep(
                "=", json_object_get_string(json_object_object_get(e, "kind")),
                json_object_get_string(json_object_object_get(e, "name")),
                NULL);

        json_object_object_add(
                o, "name", json_object_get(json_object_object_get(e, "dra")));
        json_object_object_add(a, "class",
                               attr_string(json_object_get_string(
                                       json_object_object_get(e, "class"))));
        if (id)
                json_object_object_add(a, "cdiID", attr_string(id));
        if (dra_json_len(nodes) > 0) {
                json_object *n0 = json_object_array_get_idx(nodes, 0);
                json_object *hp = json_object_object_get(n0, "hostPath");

                json_object_object_add(
                        a, "node",
                        attr_string(json_object_get_string(
                                hp ? hp : json_object_object_get(n0, "path"))));
                add_facts(a, n0);
        }
        for (size_t i = 0; i < dra_json_len(env); i++) {
                const char *kv = json_object_get_string(
                        json_object_array_get_idx(env, i));

                if (kv && startswith(kv, "NVIDIA_GPU_UUID="))
                        json_object_object_add(
                                a, "nvidiaUUID",
                                attr_string(strchr(kv, '=') + 1));
        }
        json_object_object_add(o, "attributes", a);
        return o;
}

static json_object *slice_devices(const dra_config *c)
{
        json_object *all = dra_exported(c), *out = json_object_new_array();

        for (size_t i = 0; out && i < dra_json_len(all); i++)
                json_object_array_add(
                        out, slice_device(json_object_array_get_idx(all, i)));
        json_object_put(all);
        return out;
}

static char *slice_json(dra_slices *s, json_object *devices,
                        const char *resource_version)
{
        json_object *o = json_object_new_object();
        json_object *meta = json_object_new_object();
        json_object *spec = json_object_new_object();
        json_object *pool = json_object_new_object();
        char *text;

        json_object_object_add(o, "apiVersion",
                               json_object_new_string("resource.k8s.io/v1"));
        json_object_object_add(o, "kind",
                               json_object_new_string("ResourceSlice"));
        json_object_object_add(meta, "name", json_object_new_string(s->name));
        if (resource_version)
                json_object_object_add(
                        meta, "resourceVersion",
                        json_object_new_string(resource_version));
        json_object_object_add(o, "metadata", meta);
        json_object_object_add(spec, "driver",
                               json_object_new_string(s->cfg->driver));
        json_object_object_add(spec, "nodeName",
                               json_object_new_string(s->cfg->node));
        json_object_object_add(pool, "name",
                               json_object_new_string(s->cfg->node));
        json_object_object_add(pool, "generation",
                               json_object_new_int64(s->generation));
        json_object_object_add(pool, "resourceSliceCount",
                               json_object_new_int(1));
        json_object_object_add(spec, "pool", pool);
        json_object_object_add(spec, "devices", json_object_get(devices));
        json_object_object_add(o, "spec", spec);
        text = strdup(json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return text;
}

/* Create, or replace what is there (another run's slice included). */
static int publish(dra_slices *s, json_object *devices)
{
        _cleanup_free_ char *path = strjoin_sep("/", SLICES, s->name, NULL);
        _cleanup_free_ char *old = NULL, *body = NULL, *resp = NULL;
        const char *rv = NULL;
        json_object *cur = NULL;
        long code = 0;
        int r;

        if (!path)
                return -ENOMEM;
        r = kube_request(s->cfg, "GET", path, NULL, &code, &old);
        if (r < 0)
                return r;
        if (code == 200) {
                cur = json_tokener_parse(old);
                rv = json_object_get_string(json_object_object_get(
                        json_object_object_get(cur, "metadata"),
                        "resourceVersion"));
                s->generation =
                        json_object_get_int64(json_object_object_get(
                                json_object_object_get(
                                        json_object_object_get(cur, "spec"),
                                        "pool"),
                                "generation")) +
                        1;
        }
        body = slice_json(s, devices, rv);
        if (body)
                r = kube_request(s->cfg, code == 200 ? "PUT" : "POST",
                                 code == 200 ? path : SLICES, body, &code,
                                 &resp);
        json_object_put(cur);
        if (!body)
                return -ENOMEM;
        if (r < 0)
                return r;
        return code == 200 || code == 201 ? 0 : -EIO;
}

int dra_slices_new(const dra_config *c, dra_slices **ret)
{
        dra_slices *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->cfg = c;
        s->name = strjoin_sep("-", c->node, c->driver, NULL);
        /* object names are lowercase; host names need not be */
        for (char *p = s->name; p && *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (!s->name || s->inotify_fd < 0) {
                dra_slices_free(s, false);
                return -ENOMEM;
        }
        /* the dir may not exist before devpassd's first export */
        (void)mkdir_p(c->cdi_dir, 0755);
        (void)inotify_add_watch(s->inotify_fd, c->cdi_dir,
                                IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE);
        *ret = s;
        return 0;
}

void dra_slices_sync(dra_slices *s, bool force)
{
        char buf[4096];
        bool changed = force || !s->published;
        json_object *devices;
        const char *text;
        int r;

        while (read(s->inotify_fd, buf, sizeof(buf)) > 0)
                changed = true;
        if (!changed)
                return;
        devices = slice_devices(s->cfg);
        text = json_object_to_json_string(devices);
        if (s->published && s->devices && text && streq(s->devices, text)) {
                json_object_put(devices);
                return;
        }
        r = publish(s, devices);
        if (r < 0)
                log_warning_errno(r,
                                  "Publishing ResourceSlice %s: %m "
                                  "(retried on the next change)",
                                  s->name);
        else {
                log_info("ResourceSlice %s: %zu device%s (generation %" PRId64
                         ")",
                         s->name, dra_json_len(devices),
                         dra_json_len(devices) == 1 ? "" : "s", s->generation);
                free(s->devices);
                s->devices = strdup(text);
                s->published = true;
        }
        json_object_put(devices);
}

void dra_slices_free(dra_slices *s, bool remove)
{
        if (!s)
                return;
        if (remove && s->published) {
                _cleanup_free_ char *path =
                        strjoin_sep("/", SLICES, s->name, NULL);
                _cleanup_free_ char *resp = NULL;
                long code = 0;

                if (path && kube_request(s->cfg, "DELETE", path, NULL, &code,
                                         &resp) >= 0)
                        log_info("ResourceSlice %s deleted (%ld)", s->name,
                                 code);
        }
        if (s->inotify_fd >= 0)
                close(s->inotify_fd);
        free(s->name);
        free(s->devices);
        free(s);
}
