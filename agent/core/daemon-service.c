/* SPDX-License-Identifier: MIT */
/* The agent's side of the service layer: what devpassd tracks (running
 * containers, present devices, moved NICs) offered to the verbs through
 * dp_service_hooks, so that a verb asked over IPC decides exactly as the
 * same verb in devpassctl acting alone, only without asking a runtime or
 * walking sysfs for what the agent already knows. */
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "core/daemon.h"
#include "core/service.h"

static const dp_container *svc_find_container(void *userdata, const char *ref)
{
        return dp_daemon_lookup_container(userdata, ref);
}

static int svc_find_device(void *userdata, const char *ref, dp_device **ret)
{
        return dp_daemon_lookup_device(userdata, ref, ret);
}

/* What the agent tracks: the policy's pid: and cgroup: targets and what the
 * runtimes listed at the last rescan. */
static int svc_running(void *userdata, char ***ret)
{
        dp_daemon *d = userdata;
        _cleanup_strv_free_ char **running = calloc(1, sizeof(char *));

        if (!running)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_ctrs; i++)
                if (strv_extend(&running, d->ctrs[i].c->ref) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(running);
        return 0;
}

/* A NIC leaves the host's device list when it moves: remember it, as the
 * policy path does, or the next reconcile takes it for unplugged. */
static void track_moved_nic(dp_daemon *d, json_object *g)
{
        const char *syspath =
                json_object_get_string(json_object_object_get(g, "device"));
        const dp_device *dev;
        dp_device *copy;

        if (!json_object_get_string(json_object_object_get(g, "netdev")) ||
            !syspath || dp_device_list_find(&d->moved, syspath))
                return;
        dev = dp_device_list_find(&d->devices, syspath);
        copy = dev ? dp_device_copy(dev) : NULL;
        if (copy && dp_device_list_push(&d->moved, copy) < 0)
                dp_device_free(copy);
}

static void svc_attached(void *userdata, json_object *g,
                         dp_container **resolved)
{
        dp_daemon *d = userdata;

        track_moved_nic(d, g);
        /* track the container so that its stop revokes the grant */
        if (resolved && *resolved)
                dp_registry_adopt(d, TAKE_PTR(*resolved));
        else if (!dp_registry_find(
                         d, json_object_get_string(
                                    json_object_object_get(g, "container"))))
                (void)dp_registry_rescan(d);
}

static void svc_event(void *userdata, const char *event, const char *text)
{
        dp_daemon *d = userdata;
        dp_stats *st = &d->stats;

        /* the service's events are the manual requests' outcomes */
        if (streq(event, "grant"))
                st->grants_manual++;
        else if (streq(event, "revoke"))
                st->revokes[DP_REASON_MANUAL]++;
        else if (streq(event, "refused"))
                st->refusals[DP_REASON_DENIED]++;
        else if (streq(event, "error"))
                st->refusals[DP_REASON_FAILED]++;
        dp_daemon_emit(d, event, "%s", text);
}

static int svc_reload(void *userdata, char **ret_error)
{
        dp_daemon *d = userdata;
        int r = dp_daemon_reload(d, ret_error);

        if (r < 0)
                return r;
        (void)dp_registry_rescan(d);
        (void)dp_reconcile(d, NULL, NULL);
        return (int)dp_policy_n_rules(d->policy);
}

static void svc_status(void *userdata, json_object *o)
{
        dp_daemon *d = userdata;

        json_object_object_add(o, "pid", json_object_new_int(getpid()));
        json_object_object_add(
                o, "uevents",
                json_object_new_string(d->monitor_udev ? "udev" : "kernel"));
        json_object_object_add(o, "events",
                               json_object_new_int64((int64_t)d->n_events));
        json_object_object_add(o, "resyncs",
                               json_object_new_int64((int64_t)d->n_resyncs));
}

static const dp_service_hooks daemon_hooks = {
        .find_container = svc_find_container,
        .find_device = svc_find_device,
        .running = svc_running,
        .attached = svc_attached,
        .event = svc_event,
        .reload = svc_reload,
        .status = svc_status,
};

void dp_daemon_service(dp_daemon *d, dp_service *ret)
{
        *ret = (dp_service){.engine = d->engine,
                            .hw = d->hw,
                            .policy = d->policy,
                            .policy_error = d->policy_error,
                            .policy_dirs = d->cfg.policy_dirs,
                            .defer_lookups = true,
                            .n_devices = d->devices.n,
                            .n_containers = d->n_ctrs,
                            .hooks = &daemon_hooks,
                            .userdata = d};
}
