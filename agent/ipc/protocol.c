/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "devpass/protocol.h"
#include "devpass/util.h"

int dp_ipc_send(int fd, json_object *obj)
{
        const char *s = json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        size_t n, done = 0;

        if (!s)
                return -ENOMEM;
        n = strlen(s) + 1; /* the NUL is the frame end */
        while (done < n) {
                ssize_t w = send(fd, s + done, n - done, MSG_NOSIGNAL);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                done += (size_t)w;
        }
        return 0;
}

int dp_ipc_recv(int fd, int timeout_ms, json_object **ret)
{
        _cleanup_free_ char *buf = malloc(DP_IPC_MAX_MESSAGE + 1);
        size_t size = 0;
        json_object *o;

        if (!buf)
                return -ENOMEM;
        /* Peek, then take exactly up to the NUL: whatever follows (the next
         * monitor event) stays queued for the next call. */
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n;
                char *end;
                int r;

                r = poll(&p, 1, timeout_ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (r == 0)
                        return -ETIMEDOUT;
                n = recv(fd, buf + size, DP_IPC_MAX_MESSAGE - size, MSG_PEEK);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return -ECONNRESET;
                end = memchr(buf + size, 0, (size_t)n);
                if (end)
                        n = end - (buf + size) + 1;
                n = recv(fd, buf + size, (size_t)n, 0);
                if (n < 0)
                        return negative_errno();
                size += (size_t)n;
                if (end)
                        break;
                if (size >= DP_IPC_MAX_MESSAGE)
                        return -EMSGSIZE;
        }
        o = json_tokener_parse(buf);
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int dp_ipc_connect(const char *path, int *ret_fd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int dp_ipc_call(const char *socket_path, const char *method,
                json_object *params, json_object **ret_reply)
{
        _cleanup_close_ int fd = -EBADF;
        json_object *req;
        int r;

        r = dp_ipc_connect(socket_path, &fd);
        if (r < 0)
                return r;
        req = json_object_new_object();
        if (!req)
                return -ENOMEM;
        json_object_object_add(req, "method", json_object_new_string(method));
        json_object_object_add(req, "parameters",
                               params ? json_object_get(params)
                                      : json_object_new_object());
        r = dp_ipc_send(fd, req);
        json_object_put(req);
        if (r < 0)
                return r;
        return dp_ipc_recv(fd, 30000, ret_reply);
}

const char *dp_ipc_reply_error(json_object *reply)
{
        json_object *e, *p, *m;

        if (!json_object_object_get_ex(reply, "error", &e) || !e)
                return NULL;
        if (json_object_object_get_ex(reply, "parameters", &p) &&
            json_object_object_get_ex(p, "message", &m) &&
            json_object_is_type(m, json_type_string))
                return json_object_get_string(m);
        return json_object_get_string(e);
}

const char *dp_ipc_param_string(json_object *params, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(params, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}
