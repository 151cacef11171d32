/* SPDX-License-Identifier: MIT */
/* Unary gRPC methods over the C core: for each registered method one call
 * is always requested; when it arrives, its payload goes to the handler and
 * the reply, status included, is sent in one batch, then the next call of
 * that method is requested. All tags complete on one completion queue that
 * this thread drains, so handlers never run concurrently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "dra/grpc-unary.h"

#define MAX_METHODS 8

typedef struct method {
        dra_server *server;
        char *path;
        void *handle; /* grpc_server_register_method() */
        dra_method_fn fn;
        void *userdata;
        /* the call requested for it */
        grpc_call *call;
        gpr_timespec deadline;
        grpc_metadata_array md;
        grpc_byte_buffer *payload;
        /* the reply being sent */
        int cancelled;
        grpc_slice details;
        grpc_byte_buffer *reply;
} method;

/* tags: a method's address for "call arrived", +1 byte for "reply sent" */
#define TAG_NEW(m)  ((void *)(m))
#define TAG_SENT(m) ((void *)((char *)(m) + 1))

struct dra_server {
        grpc_server *server;
        grpc_completion_queue *cq;
        method methods[MAX_METHODS];
        size_t n_methods;
        char **paths; /* sockets to unlink at the end */
        size_t n_paths;
        int started;
};

int dra_server_new(dra_server **ret)
{
        dra_server *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        grpc_init();
        s->cq = grpc_completion_queue_create_for_next(NULL);
        s->server = grpc_server_create(NULL, NULL);
        if (!s->cq || !s->server) {
                dra_server_free(s);
                return -ENOMEM;
        }
        grpc_server_register_completion_queue(s->server, s->cq, NULL);
        *ret = s;
        return 0;
}

int dra_server_add_method(dra_server *s, const char *path, dra_method_fn fn,
                          void *userdata)
{
        method *m;

        if (s->n_methods >= MAX_METHODS || s->started)
                return -EINVAL;
        m = &s->methods[s->n_methods];
        *m = (method){.server = s, .fn = fn, .userdata = userdata};
        m->path = strdup(path);
        if (!m->path)
                return -ENOMEM;
        m->handle = grpc_server_register_method(
                s->server, m->path, NULL,
                GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        if (!m->handle) {
                free(m->path);
                return -EEXIST;
        }
        s->n_methods++;
        return 0;
}

int dra_server_listen(dra_server *s, const char *path)
{
        grpc_server_credentials *creds;
        char addr[4200];
        char **n;
        int port;

        if (strlen(path) > 4000)
                return -ENAMETOOLONG;
        n = realloc(s->paths, sizeof(char *) * (s->n_paths + 1));
        if (!n)
                return -ENOMEM;
        s->paths = n;
        s->paths[s->n_paths] = strdup(path);
        if (!s->paths[s->n_paths])
                return -ENOMEM;
        s->n_paths++;
        /* a socket left by an earlier run would make the bind fail */
        (void)unlink(path);
        snprintf(addr, sizeof(addr), "unix:%s", path);
        creds = grpc_insecure_server_credentials_create();
        port = grpc_server_add_http2_port(s->server, addr, creds);
        grpc_server_credentials_release(creds);
        return port > 0 ? 0 : -EADDRNOTAVAIL;
}

static int request_call(method *m)
{
        grpc_metadata_array_init(&m->md);
        m->payload = NULL;
        m->call = NULL;
        return grpc_server_request_registered_call(
                       m->server->server, m->handle, &m->call, &m->deadline,
                       &m->md, &m->payload, m->server->cq, m->server->cq,
                       TAG_NEW(m)) == GRPC_CALL_OK
                       ? 0
                       : -EIO;
}

int dra_server_start(dra_server *s)
{
        grpc_server_start(s->server);
        s->started = 1;
        for (size_t i = 0; i < s->n_methods; i++)
                if (request_call(&s->methods[i]) < 0)
                        return -EIO;
        /* the kubelet runs as root; nobody else may call the plugin */
        for (size_t i = 0; i < s->n_paths; i++)
                (void)chmod(s->paths[i], 0600);
        return 0;
}

static void run_handler(method *m, uint8_t **out, size_t *out_len, int *status,
                        char **error)
{
        grpc_byte_buffer_reader rd;
        grpc_slice in = grpc_empty_slice();

        if (m->payload && grpc_byte_buffer_reader_init(&rd, m->payload)) {
                in = grpc_byte_buffer_reader_readall(&rd);
                grpc_byte_buffer_reader_destroy(&rd);
        }
        *status = m->fn(m->userdata, GRPC_SLICE_START_PTR(in),
                        GRPC_SLICE_LENGTH(in), out, out_len, error);
        grpc_slice_unref(in);
}

static void call_done(method *m);

/* A call arrived: answer it in one batch. */
static void on_call(method *m)
{
        uint8_t *out = NULL;
        size_t out_len = 0;
        char *error = NULL;
        int status;
        grpc_op ops[4];
        size_t n = 0;

        run_handler(m, &out, &out_len, &status, &error);
        memset(ops, 0, sizeof(ops));
        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        if (status == 0) {
                grpc_slice sl = grpc_slice_from_copied_buffer((const char *)out,
                                                              out_len);

                m->reply = grpc_raw_byte_buffer_create(&sl, 1);
                grpc_slice_unref(sl);
                ops[n].op = GRPC_OP_SEND_MESSAGE;
                ops[n++].data.send_message.send_message = m->reply;
        }
        m->details = grpc_slice_from_copied_string(error ? error : "");
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status =
                status == 0 ? GRPC_STATUS_OK : (grpc_status_code)status;
        ops[n++].data.send_status_from_server.status_details = &m->details;
        ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[n++].data.recv_close_on_server.cancelled = &m->cancelled;
        free(out);
        free(error);
        if (grpc_call_start_batch(m->call, ops, n, TAG_SENT(m), NULL) !=
            GRPC_CALL_OK) {
                /* no completion will come: finish here */
                call_done(m);
                (void)request_call(m);
        }
}

static void call_done(method *m)
{
        grpc_slice_unref(m->details);
        grpc_byte_buffer_destroy(m->reply);
        m->reply = NULL;
        grpc_byte_buffer_destroy(m->payload);
        m->payload = NULL;
        grpc_metadata_array_destroy(&m->md);
        grpc_call_unref(m->call);
        m->call = NULL;
}

static void on_sent(method *m)
{
        call_done(m);
        (void)request_call(m);
}

/* At shutdown: what completes now is released, nothing is requested. */
static void on_drained(void *tag, int success)
{
        method *m = (method *)((uintptr_t)tag & ~(uintptr_t)1);

        if ((uintptr_t)tag & 1)
                call_done(m);
        else if (success) {
                grpc_byte_buffer_destroy(m->payload);
                m->payload = NULL;
                grpc_metadata_array_destroy(&m->md);
                grpc_call_unref(m->call);
                m->call = NULL;
        } else
                grpc_metadata_array_destroy(&m->md);
}

int dra_server_run(dra_server *s, volatile int *quit, void (*idle)(void *),
                   void *userdata)
{
        while (!*quit) {
                gpr_timespec t =
                        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                     gpr_time_from_millis(200, GPR_TIMESPAN));
                grpc_event ev = grpc_completion_queue_next(s->cq, t, NULL);
                method *m;

                if (idle)
                        idle(userdata);
                if (ev.type == GRPC_QUEUE_TIMEOUT)
                        continue;
                if (ev.type != GRPC_OP_COMPLETE)
                        return -EIO;
                m = (method *)((uintptr_t)ev.tag & ~(uintptr_t)1);
                if (((uintptr_t)ev.tag & 1) == 0) {
                        if (ev.success)
                                on_call(m);
                        else if (!*quit) {
                                grpc_metadata_array_destroy(&m->md);
                                (void)request_call(m);
                        }
                } else
                        on_sent(m);
        }
        return 0;
}

void dra_server_free(dra_server *s)
{
        if (!s)
                return;
        if (s->server) {
                if (s->started) {
                        grpc_server_shutdown_and_notify(s->server, s->cq, NULL);
                        grpc_server_cancel_all_calls(s->server);
                        /* drain: the requested calls fail, then the
                         * shutdown tag arrives */
                        for (;;) {
                                grpc_event ev = grpc_completion_queue_next(
                                        s->cq,
                                        gpr_time_add(
                                                gpr_now(GPR_CLOCK_MONOTONIC),
                                                gpr_time_from_millis(
                                                        1000, GPR_TIMESPAN)),
                                        NULL);

                                if (ev.type != GRPC_OP_COMPLETE ||
                                    ev.tag == NULL)
                                        break;
                                on_drained(ev.tag, ev.success);
                        }
                }
                grpc_server_destroy(s->server);
        }
        if (s->cq) {
                grpc_completion_queue_shutdown(s->cq);
                while (grpc_completion_queue_next(
                               s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                               .type != GRPC_QUEUE_SHUTDOWN)
                        ;
                grpc_completion_queue_destroy(s->cq);
        }
        for (size_t i = 0; i < s->n_methods; i++)
                free(s->methods[i].path);
        for (size_t i = 0; i < s->n_paths; i++) {
                (void)unlink(s->paths[i]);
                free(s->paths[i]);
        }
        free(s->paths);
        free(s);
        grpc_shutdown();
}
