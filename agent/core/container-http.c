/* SPDX-License-Identifier: MIT */
/* Just enough HTTP/1.1 to ask Docker, Podman, Incus and LXD about their
 * containers over their local unix sockets: one GET per connection,
 * "Connection: close", a bounded response and a hard deadline, so that a
 * wedged runtime daemon cannot stall the agent's event loop for long. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <json-c/json.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/util.h"

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
        for (;;) {
                struct pollfd p = {.fd = fd, .events = events};
                uint64_t now = now_ms();
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int)(deadline - now));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return negative_errno();
                if (r == 0)
                        return -ETIMEDOUT;
                return 0;
        }
}

char *dp_http_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(s) * 3 + 1), *w = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
                        *w++ = (char)*p;
                else {
                        *w++ = '%';
                        *w++ = hex[*p >> 4];
                        *w++ = hex[*p & 15];
                }
        }
        *w = 0;
        return out;
}

/* Case-insensitive header lookup within [hdr, end); returns the value start
 * and its length (trailing whitespace trimmed). */
static const char *header_get(const char *hdr, const char *end, const char *key,
                              size_t *ret_len)
{
        size_t kl = strlen(key);

        for (const char *line = hdr; line < end;) {
                const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);

                if (!eol)
                        eol = end;
                if ((size_t)(eol - line) > kl && line[kl] == ':' &&
                    strncasecmp(line, key, kl) == 0) {
                        const char *v = line + kl + 1, *ve = eol;

                        while (v < ve && (*v == ' ' || *v == '\t'))
                                v++;
                        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                                ve--;
                        *ret_len = (size_t)(ve - v);
                        return v;
                }
                line = eol + 2;
        }
        return NULL;
}

/* Decodes a chunked body. -EAGAIN when more data is needed. */
static int dechunk(const char *p, const char *end, char **ret, size_t *ret_size)
{
        _cleanup_free_ char *out = NULL;
        size_t size = 0;

        out = malloc((size_t)(end - p) + 1);
        if (!out)
                return -ENOMEM;
        for (;;) {
                const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
                unsigned long long n = 0;
                const char *q = p;

                if (!eol)
                        return (size_t)(end - p) > 64 ? -EBADMSG : -EAGAIN;
                for (; q < eol && *q && strchr("0123456789abcdefABCDEF", *q);
                     q++) {
                        if (n > DP_HTTP_MAX_RESPONSE)
                                return -EFBIG;
                        n = n * 16 + (unsigned)(*q <= '9'   ? *q - '0'
                                                : *q <= 'F' ? *q - 'A' + 10
                                                            : *q - 'a' + 10);
                }
                if (q == p || (q < eol && *q != ';' && *q != ' '))
                        return -EBADMSG;
                if (n > DP_HTTP_MAX_RESPONSE)
                        return -EFBIG;
                p = eol + 2;
                if (n == 0) {
                        /* Trailers, then an empty line. */
                        for (;;) {
                                eol = memmem(p, (size_t)(end - p), "\r\n", 2);
                                if (!eol)
                                        return -EAGAIN;
                                if (eol == p)
                                        break;
                                p = eol + 2;
                        }
                        break;
                }
                if ((size_t)(end - p) < n + 2)
                        return -EAGAIN;
                if (p[n] != '\r' || p[n + 1] != '\n')
                        return -EBADMSG;
                memcpy(out + size, p, n);
                size += n;
                p += n + 2;
        }
        out[size] = 0;
        *ret = TAKE_PTR(out);
        *ret_size = size;
        return 0;
}

int dp_http_parse_response(const char *buf, size_t len, bool eof,
                           unsigned *ret_status, char **ret_body,
                           size_t *ret_size)
{
        const char *hend, *v, *end = buf + len;
        char *body = NULL;
        size_t vl, size;
        unsigned status;
        int r;

        hend = memmem(buf, len, "\r\n\r\n", 4);
        if (!hend)
                return eof ? -EBADMSG : -EAGAIN;
        if (len < 12 || !strneq(buf, "HTTP/1.", 7) || buf[8] != ' ' ||
            buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
            buf[11] < '0' || buf[11] > '9' ||
            (buf[12] != ' ' && buf[12] != '\r'))
                return -EBADMSG;
        status = (unsigned)((buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
                            (buf[11] - '0'));
        const char *hdr = memmem(buf, len, "\r\n", 2) + 2;
        const char *body_start = hend + 4;

        v = header_get(hdr, hend + 2, "Transfer-Encoding", &vl);
        if (v && vl == 7 && strncasecmp(v, "chunked", 7) == 0) {
                /* A complete chunked body ends with an empty line; decoding
                 * before that would redo the work on every read. */
                if (!eof && (len < 4 || memcmp(end - 4, "\r\n\r\n", 4) != 0))
                        return -EAGAIN;
                r = dechunk(body_start, end, &body, &size);
                if (r == -EAGAIN && eof)
                        return -EBADMSG;
                if (r < 0)
                        return r;
        } else if (v)
                return -EBADMSG; /* no other coding is ever asked for */
        else if ((v = header_get(hdr, hend + 2, "Content-Length", &vl))) {
                char num[24];
                unsigned long long n;
                char *e;

                if (vl == 0 || vl >= sizeof(num))
                        return -EBADMSG;
                memcpy(num, v, vl);
                num[vl] = 0;
                errno = 0;
                n = strtoull(num, &e, 10);
                if (errno || *e || num[0] == '-')
                        return -EBADMSG;
                if (n > DP_HTTP_MAX_RESPONSE)
                        return -EFBIG;
                if ((size_t)(end - body_start) < n)
                        return eof ? -EBADMSG : -EAGAIN;
                size = (size_t)n;
                body = malloc(size + 1);
                if (!body)
                        return -ENOMEM;
                memcpy(body, body_start, size);
                body[size] = 0;
        } else {
                if (!eof)
                        return -EAGAIN;
                size = (size_t)(end - body_start);
                body = malloc(size + 1);
                if (!body)
                        return -ENOMEM;
                memcpy(body, body_start, size);
                body[size] = 0;
        }
        *ret_status = status;
        *ret_body = body;
        if (ret_size)
                *ret_size = size;
        return 0;
}

static int connect_unix(const char *socket_path, uint64_t deadline)
{
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int r;

        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                socklen_t sl = sizeof(e);

                if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR ||
                    e == EACCES || e == ENOTSOCK)
                        return -ENOMEDIUM;
                if (e != EINPROGRESS && e != EAGAIN)
                        return -e;
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
                        return negative_errno();
                if (e != 0)
                        return e == ECONNREFUSED ? -ENOMEDIUM : -e;
        }
        return TAKE_FD(fd);
}

int dp_http_get(const char *socket_path, const char *path, int timeout_ms,
                unsigned *ret_status, char **ret_body, size_t *ret_size)
{
        uint64_t deadline =
                now_ms() +
                (uint64_t)(timeout_ms > 0 ? timeout_ms : DP_HTTP_TIMEOUT_MS);
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *req = NULL, *buf = NULL;
        size_t len = 0, alloc = 0, off = 0;
        int r, n;

        if (!socket_path || !path || path[0] != '/' || strpbrk(path, "\r\n "))
                return -EINVAL;
        /* A runtime's answer decides where host devices go: only root may
         * give it (runtime-auth.c). */
        r = dp_socket_file_trusted(socket_path);
        if (r < 0)
                return r;
        fd = connect_unix(socket_path, deadline);
        if (fd < 0)
                return fd;
        r = dp_peer_check_root(fd, NULL);
        if (r < 0)
                return r;
        n = asprintf(&req,
                     "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                     "User-Agent: devpass\r\nAccept: application/json\r\n"
                     "Connection: close\r\n\r\n",
                     path);
        if (n < 0) {
                req = NULL;
                return -ENOMEM;
        }
        while (off < (size_t)n) {
                ssize_t w = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);

                if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                        r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (w < 0)
                        return negative_errno();
                off += (size_t)w;
        }
        for (;;) {
                bool eof = false;
                ssize_t rd;

                if (alloc - len < 16384 && alloc < DP_HTTP_MAX_RESPONSE) {
                        size_t na = alloc ? alloc * 2 : 65536;
                        if (na > DP_HTTP_MAX_RESPONSE)
                                na = DP_HTTP_MAX_RESPONSE;
                        char *nb = realloc(buf, na);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        alloc = na;
                }
                if (len == alloc)
                        return -EFBIG;
                rd = recv(fd, buf + len, alloc - len, 0);
                if (rd < 0 && (errno == EAGAIN || errno == EINTR)) {
                        r = wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (rd < 0)
                        return negative_errno();
                if (rd == 0)
                        eof = true;
                len += (size_t)rd;
                r = dp_http_parse_response(buf, len, eof, ret_status, ret_body,
                                           ret_size);
                if (r != -EAGAIN)
                        return r;
        }
}

const char *dp_runtime_socket(const char *configured,
                              const char *const *candidates)
{
        const char *e = configured;

        if (!isempty(e))
                return e;
        for (size_t i = 0; candidates && candidates[i]; i++)
                if (access(candidates[i], F_OK) == 0)
                        return candidates[i];
        return candidates ? candidates[0] : NULL;
}

int dp_json_parse(const char *text, size_t size, struct json_object **ret)
{
        struct json_tokener *tok;
        struct json_object *o;
        size_t used;

        if (size > INT32_MAX)
                return -EFBIG;
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, text, (int)size);
        used = json_tokener_get_parse_end(tok);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(o);
                json_tokener_free(tok);
                return -EBADMSG;
        }
        json_tokener_free(tok);
        /* Only whitespace may follow the document. */
        for (; used < size; used++)
                if (!strchr(" \t\r\n", text[used]) || !text[used]) {
                        json_object_put(o);
                        return -EBADMSG;
                }
        if (!json_object_is_type(o, json_type_object) &&
            !json_object_is_type(o, json_type_array)) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int dp_rest_get_json(const char *socket_path, const char *path,
                     struct json_object **ret)
{
        _cleanup_free_ char *body = NULL;
        unsigned status;
        size_t size;
        int r;

        r = dp_http_get(socket_path, path, DP_HTTP_TIMEOUT_MS, &status, &body,
                        &size);
        if (r < 0)
                return r;
        if (status == 404)
                return -ENOENT;
        if (status < 200 || status > 299)
                return -EIO;
        return dp_json_parse(body, size, ret);
}
