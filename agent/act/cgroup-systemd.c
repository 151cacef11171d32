/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "cgroup-systemd.h"
#include "devpass/act.h"
#include "devpass/util.h"

/* Device grants into cgroups that systemd owns, through systemd itself:
 * a DeviceAllow= entry on the unit. systemd rebuilds a unit's device
 * program from its settings whenever it re-reads them, so a program devpass
 * attached there is undone by the next daemon-reload; a runtime DeviceAllow=
 * entry is what systemd applies again. See CGROUP-V2.md.
 *
 * Built as the module devpass-systemd.so (systemd-load.c loads it on a
 * systemd host, the first time a grant asks): libsystemd and the libraries
 * it pulls in (gcrypt, lz4, lzma, zstd) would add some 850 KiB to the RSS
 * of every agent, most of which never meet systemd. */

#define SD_DEST         "org.freedesktop.systemd1"
#define SD_PATH         "/org/freedesktop/systemd1"
#define SD_MANAGER      "org.freedesktop.systemd1.Manager"
#define SD_UNIT         "org.freedesktop.systemd1.Unit"
#define SD_PRIVATE      "/run/systemd/private"
#define SD_TIMEOUT_USEC (5ULL * 1000 * 1000)

static void bus_unrefp(sd_bus **b)
{
        if (*b)
                sd_bus_flush_close_unref(*b);
}

static void msg_unrefp(sd_bus_message **m)
{
        sd_bus_message_unref(*m);
}

#define _cleanup_bus_   _cleanup_(bus_unrefp)
#define _cleanup_msg_   _cleanup_(msg_unrefp)
#define _cleanup_error_ _cleanup_(sd_bus_error_free)

/* The answer of PID 1 only: its private socket (root-only, no bus daemon
 * needed) with the peer checked to be pid 1 and root, else the system bus,
 * on which only root may own systemd's name. */
static int connect_private(sd_bus **ret)
{
        _cleanup_bus_ sd_bus *bus = NULL;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        struct stat st;
        int r;

        if (lstat(SD_PRIVATE, &st) < 0)
                return negative_errno();
        if (!S_ISSOCK(st.st_mode) || st.st_uid != 0)
                return -EKEYREJECTED;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, "unix:path=" SD_PRIVATE);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return r;
        if (getsockopt(sd_bus_get_fd(bus), SOL_SOCKET, SO_PEERCRED, &cred,
                       &len) < 0)
                return negative_errno();
        if (cred.pid != 1 || cred.uid != 0)
                return -EKEYREJECTED;
        *ret = TAKE_PTR(bus);
        return 0;
}

static int bus_open(sd_bus **ret)
{
        sd_bus *bus = NULL;
        int r;

        /* "systemd is PID 1": the directory only systemd as init creates */
        if (sd_booted() <= 0)
                return -ENOMEDIUM;
        r = connect_private(&bus);
        if (r < 0 && sd_bus_open_system(&bus) < 0)
                return -ENOMEDIUM;
        /* a busy PID 1 (mid daemon-reload) must not hold the agent long */
        (void)sd_bus_set_method_call_timeout(bus, SD_TIMEOUT_USEC);
        *ret = bus;
        return 0;
}

/* One connection for the agent's life: a call then costs its round trip,
 * not also a connect and an authentication on PID 1's socket (the verify
 * pass asks about every unit granted into, every few seconds). Made again
 * when systemd closed it (daemon-reexec, as a systemd upgrade does). */
static sd_bus *shared_bus;

static void bus_drop(void)
{
        shared_bus = sd_bus_flush_close_unref(shared_bus);
}

/* at exit: nothing is left to write, so no flush that could wait on PID 1 */
__attribute__((destructor)) static void bus_done(void)
{
        shared_bus = sd_bus_close_unref(shared_bus);
}

static int bus_get(sd_bus **ret)
{
        int r;

        if (shared_bus && sd_bus_is_open(shared_bus) <= 0)
                bus_drop();
        if (!shared_bus) {
                r = bus_open(&shared_bus);
                if (r < 0)
                        return r;
        }
        *ret = shared_bus;
        return 0;
}

/* Whether a call failed because the connection is gone, so that one more
 * try on a new one makes sense. Each call here may be repeated: adding an
 * entry systemd has, or setting the whole list again, changes nothing. */
static bool bus_lost(int r)
{
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE ||
               (shared_bus && sd_bus_is_open(shared_bus) <= 0);
}

/* Nothing here subscribes, but whatever the bus sent besides the replies
 * (the system bus's NameAcquired) would queue up on a connection kept for
 * good: read and dropped after each call. */
static void bus_drain(sd_bus *bus)
{
        while (sd_bus_process(bus, NULL) > 0)
                ;
}

#define ON_BUS(bus, call)                              \
        ({                                             \
                int _r = bus_get(&(bus));              \
                                                       \
                if (_r >= 0) {                         \
                        _r = (call);                   \
                        if (_r < 0 && bus_lost(_r)) {  \
                                bus_drop();            \
                                _r = bus_get(&(bus));  \
                                if (_r >= 0)           \
                                        _r = (call);   \
                        }                              \
                        if (shared_bus)                \
                                bus_drain(shared_bus); \
                }                                      \
                _r;                                    \
        })

/* systemd's error names are not in libsystemd's errno map. */
static int bus_errno(const sd_bus_error *e, int r)
{
        if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
            sd_bus_error_has_name(e, "org.freedesktop.systemd1.LoadFailed"))
                return -ENOENT;
        if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoUnitForPID"))
                return -ESRCH;
        return r < 0 ? r : -EIO;
}

static int get_string(sd_bus *bus, const char *path, const char *iface,
                      const char *name, char *buf, size_t size)
{
        _cleanup_error_ sd_bus_error err = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *s = NULL;
        int r;

        r = sd_bus_get_property_string(bus, SD_DEST, path, iface, name, &err,
                                       &s);
        if (r < 0)
                return bus_errno(&err, r);
        if (strlen(s) >= size)
                return -ENAMETOOLONG;
        strcpy(buf, s);
        return 0;
}

/* The interface that carries a unit's cgroup settings: its type's. */
static const char *unit_iface(const char *id)
{
        if (endswith(id, ".scope"))
                return "org.freedesktop.systemd1.Scope";
        if (endswith(id, ".service"))
                return "org.freedesktop.systemd1.Service";
        if (endswith(id, ".slice"))
                return "org.freedesktop.systemd1.Slice";
        return NULL;
}

static int unit_by_pid(sd_bus *bus, pid_t pid, dp_sd_unit *ret)
{
        _cleanup_msg_ sd_bus_message *reply = NULL;
        _cleanup_error_ sd_bus_error err = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        const char *p, *iface;
        dp_sd_unit u = {};
        int r;

        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER,
                               "GetUnitByPID", &err, &reply, "u",
                               (uint32_t)pid);
        if (r < 0)
                return bus_errno(&err, r);
        r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        path = strdup(p);
        if (!path)
                return -ENOMEM;
        /* the name systemd gives, never one the container reports */
        r = get_string(bus, path, SD_UNIT, "Id", u.id, sizeof(u.id));
        if (r < 0)
                return r;
        iface = unit_iface(u.id);
        if (iface) {
                r = get_string(bus, path, iface, "ControlGroup", u.cgroup,
                               sizeof(u.cgroup));
                if (r >= 0)
                        r = get_string(bus, path, iface, "DevicePolicy",
                                       u.policy, sizeof(u.policy));
                if (r < 0)
                        return r;
        }
        *ret = u;
        return 0;
}

int dp_sdbus_unit_by_pid(pid_t pid, dp_sd_unit *ret)
{
        sd_bus *bus = NULL;

        if (pid <= 0)
                return -EINVAL;
        return ON_BUS(bus, unit_by_pid(bus, pid, ret));
}

static int unit_path(sd_bus *bus, const char *unit, char **ret)
{
        _cleanup_msg_ sd_bus_message *reply = NULL;
        _cleanup_error_ sd_bus_error err = SD_BUS_ERROR_NULL;
        const char *p;
        int r;

        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit",
                               &err, &reply, "s", unit);
        if (r < 0)
                return bus_errno(&err, r);
        r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        *ret = strdup(p);
        return *ret ? 0 : -ENOMEM;
}

static int read_allow_list(sd_bus_message *m, dp_sd_allow **ret, size_t *ret_n)
{
        dp_sd_allow *a = NULL;
        size_t n = 0;
        const char *path, *acc;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &path, &acc)) > 0) {
                dp_sd_allow *na = realloc(a, (n + 1) * sizeof(*a));

                if (!na) {
                        r = -ENOMEM;
                        break;
                }
                a = na;
                a[n].path = strdup(path);
                snprintf(a[n].access, sizeof(a[n].access), "%s", acc);
                if (!a[n++].path) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                dp_sd_allow_free_many(a, n);
                return r;
        }
        *ret = a;
        *ret_n = n;
        return 0;
}

static int allow_get(sd_bus *bus, const char *unit, const char *iface,
                     dp_sd_allow **ret, size_t *ret_n)
{
        _cleanup_msg_ sd_bus_message *reply = NULL;
        _cleanup_error_ sd_bus_error err = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path(bus, unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property(bus, SD_DEST, path, iface, "DeviceAllow", &err,
                                &reply, "a(ss)");
        if (r < 0)
                return bus_errno(&err, r);
        return read_allow_list(reply, ret, ret_n);
}

int dp_sdbus_allow_get(const char *unit, dp_sd_allow **ret, size_t *ret_n)
{
        const char *iface = unit ? unit_iface(unit) : NULL;
        sd_bus *bus = NULL;

        if (!iface)
                return -EINVAL;
        return ON_BUS(bus, allow_get(bus, unit, iface, ret, ret_n));
}

static int append_allow(sd_bus_message *m, const dp_sd_allow *a, size_t n)
{
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "DeviceAllow");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(ss)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(ss)", a[i].path, a[i].access);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* SetUnitProperties(unit, runtime=true, [DeviceAllow=…]): with reset, an
 * empty DeviceAllow= first. systemd applies the properties of one call
 * together, once, when the call is done. */
static int call_set_allow(sd_bus *bus, const char *unit, const dp_sd_allow *a,
                          size_t n, bool reset)
{
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_error_ sd_bus_error err = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH,
                                           SD_MANAGER, "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(m, "sb", unit, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0 && reset)
                r = append_allow(m, NULL, 0);
        if (r >= 0 && (n > 0 || !reset))
                r = append_allow(m, a, n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, SD_TIMEOUT_USEC, &err, &reply);
        return r < 0 ? bus_errno(&err, r) : 0;
}

static int set_allow(const char *unit, const dp_sd_allow *a, size_t n,
                     bool reset)
{
        sd_bus *bus = NULL;

        if (!unit || !unit_iface(unit))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (isempty(a[i].path) || isempty(a[i].access) ||
                    strspn(a[i].access, "rwm") != strlen(a[i].access))
                        return -EINVAL;
        return ON_BUS(bus, call_set_allow(bus, unit, a, n, reset));
}

int dp_sdbus_allow_add(const char *unit, const dp_sd_allow *a, size_t n)
{
        if (n == 0)
                return 0; /* an empty DeviceAllow= would reset the list */
        return set_allow(unit, a, n, false);
}

int dp_sdbus_allow_set(const char *unit, const dp_sd_allow *a, size_t n)
{
        return set_allow(unit, a, n, true);
}
