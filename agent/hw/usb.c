/* SPDX-License-Identifier: MIT */
/* USB descriptors through libusb-1.0: vendor, product, device class,
 * serial and the interface classes of the active configuration.
 *
 * A libusb context is made and torn down per call. libusb's Linux backend
 * starts an event thread for hotplug with every context; a context kept for
 * the agent's lifetime would make devpassd multithreaded for good, and
 * setns() into a mount namespace refuses threaded callers. A fresh context
 * also never serves a device list older than the udev event that led
 * here. */

#include <stdio.h>
#include <string.h>

#include <libusb.h>

#include "hw-internal.h"

static int errno_from_libusb(int r)
{
        switch (r) {
        case LIBUSB_SUCCESS:
                return 0;
        case LIBUSB_ERROR_IO:
                return -EIO;
        case LIBUSB_ERROR_INVALID_PARAM:
                return -EINVAL;
        case LIBUSB_ERROR_ACCESS:
                return -EACCES;
        case LIBUSB_ERROR_NO_DEVICE:
                return -ENODEV;
        case LIBUSB_ERROR_NOT_FOUND:
                return -ENOENT;
        case LIBUSB_ERROR_BUSY:
                return -EBUSY;
        case LIBUSB_ERROR_TIMEOUT:
                return -ETIMEDOUT;
        case LIBUSB_ERROR_OVERFLOW:
                return -EOVERFLOW;
        case LIBUSB_ERROR_PIPE:
                return -EPIPE;
        case LIBUSB_ERROR_INTERRUPTED:
                return -EINTR;
        case LIBUSB_ERROR_NO_MEM:
                return -ENOMEM;
        case LIBUSB_ERROR_NOT_SUPPORTED:
                return -EOPNOTSUPP;
        default:
                return r > 0 ? 0 : -EIO;
        }
}

/* An attribute from the loaded set, else read from sysfs; trimmed. */
static int read_attr(const dp_device *d, const char *name, char **ret)
{
        _cleanup_free_ char *p = NULL, *raw = NULL;
        const char *v = dp_device_attribute(d, name);
        char *s;
        int r;

        if (!v) {
                p = strjoin_sep("/", d->syspath, name, NULL);
                if (!p)
                        return -ENOMEM;
                r = read_one_line(p, &raw);
                if (r < 0)
                        return r;
        } else {
                raw = strdup(v);
                if (!raw)
                        return -ENOMEM;
        }
        s = strdup(strstrip(raw));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int read_attr_uint(const dp_device *d, const char *name, unsigned *ret)
{
        _cleanup_free_ char *s = NULL;
        int r = read_attr(d, name, &s);

        if (r < 0)
                return r;
        return safe_atou(s, ret);
}

typedef struct iface_list {
        char buf[7 * 64 + 2]; /* ":ccsspp" per interface, then ":" */
        size_t len;
} iface_list;

/* udev's ID_USB_INTERFACES: each distinct class/subclass/protocol triple
 * once, in descriptor order, as ":ccsspp:ccsspp:". */
static void iface_list_add(iface_list *l, uint8_t cls, uint8_t sub,
                           uint8_t proto)
{
        char item[8];

        snprintf(item, sizeof(item), ":%02x%02x%02x", cls, sub, proto);
        l->buf[l->len] = 0;
        for (size_t i = 0; i + 7 <= l->len; i += 7)
                if (strneq(l->buf + i, item, 7))
                        return;
        if (l->len + 7 + 2 > sizeof(l->buf))
                return;
        memcpy(l->buf + l->len, item, 7);
        l->len += 7;
        l->buf[l->len] = 0;
}

static int read_interfaces(libusb_device *dev, iface_list *ret)
{
        struct libusb_config_descriptor *cfg = NULL;
        iface_list l = {};
        int r;

        r = libusb_get_active_config_descriptor(dev, &cfg);
        if (r == LIBUSB_ERROR_NOT_FOUND)
                /* Unconfigured: udev reports the first configuration. */
                r = libusb_get_config_descriptor(dev, 0, &cfg);
        if (r < 0)
                return errno_from_libusb(r);
        for (uint8_t i = 0; i < cfg->bNumInterfaces; i++) {
                const struct libusb_interface *itf = &cfg->interface[i];

                for (int a = 0; a < itf->num_altsetting; a++) {
                        const struct libusb_interface_descriptor *alt =
                                &itf->altsetting[a];

                        iface_list_add(&l, alt->bInterfaceClass,
                                       alt->bInterfaceSubClass,
                                       alt->bInterfaceProtocol);
                }
        }
        libusb_free_config_descriptor(cfg);
        if (l.len > 0) {
                l.buf[l.len++] = ':';
                l.buf[l.len] = 0;
        }
        *ret = l;
        return 0;
}

/* The serial number string. sysfs first: the kernel read it at enumeration
 * and reading the attribute does not wake a suspended device, while opening
 * the usbfs node resumes it. The descriptor is asked for only when sysfs
 * has none. */
static int read_serial(const dp_device *d, libusb_device *dev,
                       const struct libusb_device_descriptor *desc, char **ret)
{
        libusb_device_handle *h = NULL;
        unsigned char buf[256];
        char *s = NULL;
        int r;

        if (read_attr(d, "serial", &s) >= 0) {
                if (!isempty(s)) {
                        *ret = s;
                        return 0;
                }
                free(s);
        }
        if (desc->iSerialNumber == 0)
                return -ENOENT;
        r = libusb_open(dev, &h);
        if (r < 0)
                return errno_from_libusb(r);
        r = libusb_get_string_descriptor_ascii(h, desc->iSerialNumber, buf,
                                               sizeof(buf));
        libusb_close(h);
        if (r < 0)
                return errno_from_libusb(r);
        if (r == 0)
                return -ENOENT;
        s = strndup((const char *)buf, (size_t)r);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int enrich_from(dp_device *d, libusb_device *dev)
{
        struct libusb_device_descriptor desc;
        iface_list ifaces;
        char cls[3];
        int r;

        r = libusb_get_device_descriptor(dev, &desc);
        if (r < 0)
                return errno_from_libusb(r);
        d->vendor = desc.idVendor;
        d->product = desc.idProduct;
        d->has_vendor = d->has_product = true;

        snprintf(cls, sizeof(cls), "%02x", desc.bDeviceClass);
        r = strv_env_set(&d->properties, "ID_USB_CLASS", cls);
        if (r < 0)
                return r;

        r = read_interfaces(dev, &ifaces);
        if (r >= 0 && ifaces.len > 0) {
                r = strv_env_set(&d->properties, "ID_USB_INTERFACES",
                                 ifaces.buf);
                if (r < 0)
                        return r;
        }

        if (!d->serial) {
                char *serial = NULL;

                if (read_serial(d, dev, &desc, &serial) >= 0)
                        d->serial = serial;
        }
        return 0;
}

int dp_hw_usb_enrich(dp_hw *hw, dp_device *d)
{
        libusb_context *ctx = NULL;
        libusb_device **list = NULL;
        unsigned busnum, devnum;
        ssize_t n;
        int r;

        if (!d || !d->subsystem || !streq(d->subsystem, "usb") || !d->devtype ||
            !streq(d->devtype, "usb_device") || !d->syspath)
                return 0;

        r = read_attr_uint(d, "busnum", &busnum);
        if (r < 0)
                return r;
        r = read_attr_uint(d, "devnum", &devnum);
        if (r < 0)
                return r;

        r = libusb_init(&ctx);
        if (r < 0)
                return errno_from_libusb(r);
        n = libusb_get_device_list(ctx, &list);
        if (n < 0) {
                r = errno_from_libusb((int)n);
                goto out;
        }
        r = -ENODEV;
        for (ssize_t i = 0; i < n; i++)
                if (libusb_get_bus_number(list[i]) == busnum &&
                    libusb_get_device_address(list[i]) == devnum) {
                        r = enrich_from(d, list[i]);
                        break;
                }
        libusb_free_device_list(list, 1);
out:
        libusb_exit(ctx);
        return r;
}
