/* SPDX-License-Identifier: MIT */
/* CDI (Container Device Interface) specs of what the policy exports: one
 * spec file per device class, kind "devpass.io/<class>", one CDI device per
 * devpass device with its whole bundle as deviceNodes. Engines that read
 * CDI (Podman, containerd, CRI-O, Docker ≥ 25) then start containers with
 * `--device devpass.io/block=NAME`. Names come from a device's stable
 * identity, so a re-plug under a new minor updates the same name. Files are
 * replaced with a rename, never rewritten in place: a reader sees the old
 * spec or the new one, never half of one. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/cdi.h"
#include "devpass/util.h"

/* CDI names: [A-Za-z0-9][A-Za-z0-9_.:-]* (a leading digit from 0.5.0 on). */
static char *sanitize(const char *prefix, const char *s)
{
        char *out = strjoin_sep("", prefix ? prefix : "", s, NULL);

        if (!out)
                return NULL;
        for (char *p = out; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
                      *p == ':' || *p == '-'))
                        *p = '_';
        if (!((out[0] >= 'a' && out[0] <= 'z') ||
              (out[0] >= 'A' && out[0] <= 'Z') ||
              (out[0] >= '0' && out[0] <= '9')))
                out[0] = 'x';
        return out;
}

int dp_cdi_name(const dp_device *d, char **ret)
{
        const char *v;
        char *s = NULL;

        if (!d || !d->name)
                return -EINVAL;
        /* what stays the same when the device is unplugged and plugged
         * back: its PCI slot, its serial, its port, its backing file */
        if (d->klass == DP_CLASS_GPU && d->pci)
                s = sanitize(NULL, d->pci);
        else if (d->serial && (d->has_vendor || d->has_product)) {
                char ids[16];

                snprintf(ids, sizeof(ids), "%04x-%04x-", d->vendor, d->product);
                s = sanitize(ids, d->serial);
        } else if ((v = dp_device_property(d, "ID_SERIAL")) ||
                   (v = dp_device_property(d, "ID_WWN")))
                s = sanitize(NULL, v);
        else if ((v = dp_device_property(d, "ID_PATH")))
                s = sanitize(NULL, v);
        else if ((v = dp_device_property(d, "DEVPASS_LOOP_BACKING_FILE")))
                s = sanitize("file", v);
        else
                s = sanitize(NULL, d->name);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

const char *dp_cdi_kind(dp_class c)
{
        static char kinds[_DP_CLASS_MAX][32];
        const char *n = dp_class_to_string(c);

        if ((unsigned)c >= _DP_CLASS_MAX || !n)
                return NULL;
        if (!kinds[c][0])
                snprintf(kinds[c], sizeof(kinds[c]), "devpass.io/%s", n);
        return kinds[c];
}

int dp_cdi_id(const dp_device *d, char **ret)
{
        _cleanup_free_ char *name = NULL;
        const char *kind = d ? dp_cdi_kind(d->klass) : NULL;
        int r;

        if (!kind)
                return -EINVAL;
        r = dp_cdi_name(d, &name);
        if (r < 0)
                return r;
        *ret = strjoin_sep("=", kind, name, NULL);
        return *ret ? 0 : -ENOMEM;
}

static json_object *node_json(const dp_node *n, const dp_grant_settings *g,
                              const char *path_inside)
{
        json_object *o = json_object_new_object();
        char t[2] = {n->type, 0};
        char perm[4];

        if (!o)
                return NULL;
        json_object_object_add(o, "path", json_object_new_string(path_inside));
        /* Path= moved it: the engine must still find the host's node */
        if (!streq(path_inside, n->path))
                json_object_object_add(o, "hostPath",
                                       json_object_new_string(n->path));
        json_object_object_add(o, "type", json_object_new_string(t));
        json_object_object_add(o, "major", json_object_new_int64(n->major));
        json_object_object_add(o, "minor", json_object_new_int64(n->minor));
        if (g && g->mode >= 0)
                json_object_object_add(o, "fileMode",
                                       json_object_new_int(g->mode));
        if (g && g->owner >= 0)
                json_object_object_add(o, "uid",
                                       json_object_new_int64(g->owner));
        if (g && g->group >= 0)
                json_object_object_add(o, "gid",
                                       json_object_new_int64(g->group));
        json_object_object_add(
                o, "permissions",
                json_object_new_string(dp_access_to_string(
                        g && g->access ? g->access
                                       : DP_ACCESS_READ | DP_ACCESS_WRITE |
                                                 DP_ACCESS_MKNOD,
                        perm)));
        return o;
}

/* What the container's programs may want to know about the device, where
 * known: the NVIDIA GPU's UUID (what CUDA_VISIBLE_DEVICES and nvidia-smi
 * name it by). */
static int add_env(json_object *edits, const dp_device *d)
{
        static const char *const keys[] = {"NVIDIA_GPU_UUID"};
        json_object *env = NULL;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = dp_device_property(d, keys[i]);
                _cleanup_free_ char *kv = NULL;

                if (!v)
                        continue;
                kv = strjoin_sep("=", keys[i], v, NULL);
                if (!kv || (!env && !(env = json_object_new_array())))
                        goto oom;
                json_object_array_add(env, json_object_new_string(kv));
        }
        if (env)
                json_object_object_add(edits, "env", env);
        return 0;
oom:
        json_object_put(env);
        return -ENOMEM;
}

int dp_cdi_device_json(const dp_device *d, const dp_grant_settings *g,
                       json_object **ret)
{
        _cleanup_free_ char *name = NULL;
        json_object *o, *edits, *nodes;
        int r;

        if (!d || d->n_nodes == 0)
                return -ENODEV;
        r = dp_cdi_name(d, &name);
        if (r < 0)
                return r;
        o = json_object_new_object();
        edits = json_object_new_object();
        nodes = json_object_new_array();
        if (!o || !edits || !nodes) {
                json_object_put(o);
                json_object_put(edits);
                json_object_put(nodes);
                return -ENOMEM;
        }
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "containerEdits", edits);
        r = add_env(edits, d);
        if (r < 0) {
                json_object_put(o);
                json_object_put(nodes);
                return r;
        }
        json_object_object_add(edits, "deviceNodes", nodes);
        /* Companions=no: the device's own node only, as for a grant */
        for (size_t i = 0; i < (g && !g->companions ? 1 : d->n_nodes); i++) {
                /* Path= renames the device's own node, as for a grant */
                const char *in =
                        i == 0 && g && g->path ? g->path : d->nodes[i].path;
                json_object *n = node_json(&d->nodes[i], g, in);

                if (!n) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                json_object_array_add(nodes, n);
        }
        *ret = o;
        return 0;
}

/* The lowest version that covers what devpass writes: deviceNodes with
 * path, type, major, minor, fileMode, permissions, uid and gid exist since
 * 0.3.0, but a name that starts with a digit (a PCI slot) and a node's
 * hostPath (Path= moved it) need 0.5.0.
 * Loaders refuse versions newer than theirs (Podman 4.3 reads 0.5.0 and
 * refuses 0.6.0), so never more than needed. */
static bool has_host_path(json_object *dev)
{
        json_object *nodes = json_object_object_get(
                json_object_object_get(dev, "containerEdits"), "deviceNodes");

        for (size_t i = 0; i < json_object_array_length(nodes); i++)
                if (json_object_object_get(json_object_array_get_idx(nodes, i),
                                           "hostPath"))
                        return true;
        return false;
}

static const char *spec_version(json_object *devices)
{
        for (size_t i = 0; i < json_object_array_length(devices); i++) {
                json_object *dev = json_object_array_get_idx(devices, i);
                const char *n = json_object_get_string(
                        json_object_object_get(dev, "name"));

                /* and so does a hostPath */
                if ((n && n[0] >= '0' && n[0] <= '9') || has_host_path(dev))
                        return "0.5.0";
        }
        return "0.3.0";
}

int dp_cdi_spec_json(dp_class c, json_object *devices, json_object **ret)
{
        const char *kind = dp_cdi_kind(c);
        json_object *o;

        if (!kind || !json_object_is_type(devices, json_type_array))
                return -EINVAL;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "cdiVersion",
                               json_object_new_string(spec_version(devices)));
        json_object_object_add(o, "kind", json_object_new_string(kind));
        json_object_object_add(o, "devices", json_object_get(devices));
        *ret = o;
        return 0;
}

int dp_cdi_spec_path(const char *dir, dp_class c, char **ret)
{
        const char *n = dp_class_to_string(c);
        char *s = NULL;

        if (!dir || !n)
                return -EINVAL;
        if (asprintf(&s, "%s/devpass.io-%s.json", dir, n) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The spec dir, opened; engines trust what is in it, so a dir that
 * someone else could write to (a planted spec, a file swapped under the
 * temp name) is refused rather than written into. */
static int open_spec_dir(const char *dir, bool create, int *ret_fd)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (create) {
                r = mkdir_p(dir, 0755);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_uid != geteuid() || (st.st_mode & 0022))
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int dp_cdi_write(const char *dir, dp_class c, json_object *spec,
                 bool *ret_changed)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = dp_cdi_spec_path(dir, c, &path);
        if (r < 0)
                return r;
        return dp_cdi_write_file(dir, strrchr(path, '/') + 1, spec,
                                 ret_changed);
}

int dp_cdi_write_file(const char *dir, const char *name, json_object *spec,
                      bool *ret_changed)
{
        _cleanup_free_ char *old = NULL;
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        const char *text;
        char tmp[300];
        size_t len;
        int r;

        if (!dir || !name || strchr(name, '/') || strlen(name) > 255)
                return -EINVAL;
        if (ret_changed)
                *ret_changed = false;
        if (!spec) {
                r = open_spec_dir(dir, false, &dfd);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                if (unlinkat(dfd, name, 0) < 0)
                        return errno == ENOENT ? 0 : negative_errno();
                if (ret_changed)
                        *ret_changed = true;
                return 0;
        }
        text = json_object_to_json_string_ext(
                spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        r = open_spec_dir(dir, true, &dfd);
        if (r < 0)
                return r;
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && read_full_fd(fd, 1024 * 1024, &old, NULL) >= 0 &&
            strlen(old) == len + 1 && strneq(old, text, len))
                return 0; /* same spec: readers keep the file they have */
        fd = safe_close(fd);
        snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
        (void)unlinkat(dfd, tmp, 0); /* a leftover of a crash */
        fd = openat(dfd, tmp,
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
            fchmod(fd, 0644) < 0) {
                r = errno ? negative_errno() : -EIO;
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        fd = safe_close(fd);
        if (renameat(dfd, tmp, dfd, name) < 0) {
                r = negative_errno();
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        if (ret_changed)
                *ret_changed = true;
        return 0;
}
