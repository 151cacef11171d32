/* SPDX-License-Identifier: MIT */
/* `devpassctl cdi list`: the CDI devices devpassd offers, read from the
 * spec files themselves (what engines read), so it needs no agent and
 * shows exactly what `podman run --device ID` would resolve. */
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One spec file's devices appended to out as {id, kind, name, spec,
 * cdiVersion, nodes}. */
static int add_spec(const char *path, json_object *out)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        json_object *spec, *devs;
        const char *kind, *version;

        /* removed since the dir was read: the device left */
        if (fd < 0 && errno == ENOENT)
                return CTL_OK;
        if (fd < 0)
                return ctl_fail("%s: %s", path, strerror(errno));
        spec = json_object_from_fd(fd);
        if (!spec)
                return ctl_fail("%s: not a readable JSON file", path);
        kind = json_object_get_string(json_object_object_get(spec, "kind"));
        version = json_object_get_string(
                json_object_object_get(spec, "cdiVersion"));
        devs = json_object_object_get(spec, "devices");
        if (!kind || !json_object_is_type(devs, json_type_array)) {
                json_object_put(spec);
                return ctl_fail("%s: not a CDI spec (no kind or devices)",
                                path);
        }
        for (size_t i = 0; i < json_object_array_length(devs); i++) {
                json_object *dev = json_object_array_get_idx(devs, i);
                const char *name = json_object_get_string(
                        json_object_object_get(dev, "name"));
                json_object *edits =
                        json_object_object_get(dev, "containerEdits");
                json_object *nodes =
                        json_object_object_get(edits, "deviceNodes");
                json_object *o = json_object_new_object();
                _cleanup_free_ char *id = NULL;

                if (!o || !name || !(id = strjoin_sep("=", kind, name, NULL))) {
                        json_object_put(o);
                        continue;
                }
                json_object_object_add(o, "id", json_object_new_string(id));
                json_object_object_add(o, "kind", json_object_new_string(kind));
                json_object_object_add(o, "name", json_object_new_string(name));
                json_object_object_add(o, "spec", json_object_new_string(path));
                json_object_object_add(o, "cdiVersion",
                                       version ? json_object_new_string(version)
                                               : NULL);
                /* json-c asserts on the length of a non-array */
                json_object_object_add(
                        o, "nodes",
                        json_object_is_type(nodes, json_type_array)
                                ? json_object_get(nodes)
                                : json_object_new_array());
                json_object_array_add(out, o);
        }
        json_object_put(spec);
        return CTL_OK;
}

/* devpassd's spec files in dir, sorted; an absent dir holds none. */
static int spec_files(const char *dir, char ***ret)
{
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        DIR *dp = opendir(dir);
        struct dirent *de;

        if (!l)
                return ctl_fail("out of memory");
        if (!dp && errno != ENOENT)
                return ctl_fail("%s: %s", dir, strerror(errno));
        while (dp && (de = readdir(dp)))
                if (startswith(de->d_name, "devpass.io-") &&
                    endswith(de->d_name, ".json") &&
                    strv_push(&l, strjoin_sep("/", dir, de->d_name, NULL)) <
                            0) {
                        closedir(dp);
                        return ctl_fail("out of memory");
                }
        if (dp)
                closedir(dp);
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return CTL_OK;
}

static void print_human(json_object *a, const char *dir)
{
        if (json_object_array_length(a) == 0) {
                printf("no CDI devices in %s\n", dir);
                return;
        }
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *o = json_object_array_get_idx(a, i);
                json_object *nodes = json_object_object_get(o, "nodes");

                printf("%s\n",
                       json_object_get_string(json_object_object_get(o, "id")));
                for (size_t k = 0; k < json_object_array_length(nodes); k++) {
                        json_object *n = json_object_array_get_idx(nodes, k);

                        printf("    %s %s %d:%d\n",
                               json_object_get_string(
                                       json_object_object_get(n, "type")),
                               json_object_get_string(
                                       json_object_object_get(n, "path")),
                               json_object_get_int(
                                       json_object_object_get(n, "major")),
                               json_object_get_int(
                                       json_object_object_get(n, "minor")));
                }
        }
}

int verb_cdi(ctl_opts *o)
{
        _cleanup_strv_free_ char **files = NULL;
        json_object *a;
        int r;

        if (!streq(o->args[0], "list"))
                return ctl_usage("unknown cdi command '%s' (cdi list)",
                                 o->args[0]);
        r = spec_files(o->cdi_dir, &files);
        if (r != CTL_OK)
                return r;
        a = json_object_new_array();
        if (!a)
                return ctl_fail("out of memory");
        STRV_FOREACH (f, files) {
                r = add_spec(*f, a);
                if (r != CTL_OK) {
                        json_object_put(a);
                        return r;
                }
        }
        if (o->json)
                ctl_print_json(a);
        else
                print_human(a, o->cdi_dir);
        json_object_put(a);
        return CTL_OK;
}
