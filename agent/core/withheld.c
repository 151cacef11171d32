/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/withheld.h"
#include "devpass/util.h"

#define WITHHELD_DIR "withheld"

/* FNV-1a over "container\0device", as the ledger names its files. */
static int pair_file(const char *state_dir, const char *container,
                     const char *device, char **ret)
{
        const char *parts[] = {container, device};
        uint64_t h = 0xcbf29ce484222325ULL;

        if (!state_dir || !container || !device)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                for (const char *p = parts[i]; *p; p++)
                        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
                h = (h ^ 0) * 0x100000001b3ULL;
        }
        if (asprintf(ret, "%s/" WITHHELD_DIR "/%016llx.json", state_dir,
                     (unsigned long long)h) < 0)
                return -ENOMEM;
        return 0;
}

/* Reads one hold; -ENOENT if there is none (or it is not ours). */
static int read_hold(const char *path, char **ret_container, char **ret_device,
                     char **ret_rule)
{
        _cleanup_free_ char *text = NULL;
        json_object *o, *v;
        char **out[] = {ret_container, ret_device, ret_rule};
        const char *keys[] = {"container", "device", "rule"};
        int r;

        r = read_full_file(path, &text, NULL);
        if (r < 0)
                return r;
        o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (!json_object_object_get_ex(o, keys[i], &v) ||
                    !json_object_is_type(v, json_type_string)) {
                        r = -EBADMSG;
                        break;
                }
                if (out[i] && !(*out[i] = strdup(json_object_get_string(v)))) {
                        r = -ENOMEM;
                        break;
                }
        }
        json_object_put(o);
        return r;
}

int dp_withheld_add(const char *state_dir, const char *container,
                    const char *device, const char *rule)
{
        _cleanup_free_ char *path = NULL, *dir = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        json_object *o;
        const char *s;
        int r;

        r = pair_file(state_dir, container, device, &path);
        if (r < 0)
                return r;
        dir = strjoin_sep("/", state_dir, WITHHELD_DIR, NULL);
        tmp = strjoin_sep("", path, ".tmp", NULL);
        if (!dir || !tmp)
                return -ENOMEM;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "container",
                               json_object_new_string(container));
        json_object_object_add(o, "device", json_object_new_string(device));
        json_object_object_add(o, "rule",
                               json_object_new_string(rule ? rule : ""));
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        r = fd < 0 ? negative_errno() : 0;
        if (r == 0 && (write(fd, s, strlen(s)) != (ssize_t)strlen(s) ||
                       write(fd, "\n", 1) != 1))
                r = -EIO;
        json_object_put(o);
        if (r == 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void)unlink(tmp);
        return r;
}

int dp_withheld_get(const char *state_dir, const char *container,
                    const char *device, char **ret_rule)
{
        _cleanup_free_ char *path = NULL, *c = NULL, *d = NULL, *rule = NULL;
        int r;

        r = pair_file(state_dir, container, device, &path);
        if (r < 0)
                return r;
        r = read_hold(path, &c, &d, &rule);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* a hash collision is not a hold of this pair */
        if (!streq(c, container) || !streq(d, device))
                return 0;
        if (ret_rule)
                *ret_rule = TAKE_PTR(rule);
        return 1;
}

int dp_withheld_drop(const char *state_dir, const char *container,
                     const char *device)
{
        _cleanup_free_ char *path = NULL;
        int r;

        r = dp_withheld_get(state_dir, container, device, NULL);
        if (r <= 0)
                return r;
        r = pair_file(state_dir, container, device, &path);
        if (r < 0)
                return r;
        return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;
}

int dp_withheld_drop_device(const char *state_dir, const char *device)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        dir = strjoin_sep("/", state_dir, WITHHELD_DIR, NULL);
        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *dev = NULL;

                if (!endswith(de->d_name, ".json"))
                        continue;
                path = strjoin_sep("/", dir, de->d_name, NULL);
                if (!path)
                        return -ENOMEM;
                if (read_hold(path, NULL, &dev, NULL) >= 0 &&
                    streq(dev, device))
                        (void)unlink(path);
        }
        return 0;
}

bool dp_withheld_any(const char *state_dir)
{
        _cleanup_free_ char *dir =
                strjoin_sep("/", state_dir, WITHHELD_DIR, NULL);
        _cleanup_(closedirp) DIR *d = dir ? opendir(dir) : NULL;
        struct dirent *de;

        if (!d)
                return false;
        while ((de = readdir(d)))
                if (endswith(de->d_name, ".json"))
                        return true;
        return false;
}
