/* SPDX-License-Identifier: MIT */
/* devpass-kubelet-plugin: devpass as a Kubernetes DRA driver on one node.
 * It registers with the kubelet's plugin watcher (a Registration service
 * on PLUGINS_REGISTRY/DRIVER-reg.sock) and serves the DRAPlugin v1 service
 * on PLUGINS/DRIVER/dra.sock. Prepare answers each claim with per-claim
 * CDI devices made from what devpassd exports (claims.c). It is its own
 * process: gRPC's threads must not live in devpassd, whose namespace work
 * needs a single-threaded process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dra.pb-c.h"
#include "pluginregistration.pb-c.h"

#include "devpass/log.h"
#include "devpass/protocol.h"
#include "devpass/util.h"
#include "dra/plugin.h"

typedef Pluginregistration__PluginInfo PluginInfo;
typedef Pluginregistration__RegistrationStatus RegStatus;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__Claim Claim;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__Device Device;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodePrepareResourcesRequest
        PrepReq;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodePrepareResourcesResponse
        PrepResp;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodePrepareResourcesResponse__ClaimsEntry
        PrepEntry;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodePrepareResourceResponse
        PrepOne;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodeUnprepareResourcesRequest
        UnprepReq;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodeUnprepareResourcesResponse
        UnprepResp;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodeUnprepareResourcesResponse__ClaimsEntry
        UnprepEntry;
typedef K8s__Io__Kubelet__Pkg__Apis__Dra__V1__NodeUnprepareResourceResponse
        UnprepOne;

#define GRPC_INVALID_ARGUMENT 3
#define GRPC_INTERNAL         13

/* Packs a message into a malloc'd buffer. */
static int pack(const ProtobufCMessage *m, uint8_t **ret, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *b = malloc(n ? n : 1);

        if (!b)
                return GRPC_INTERNAL;
        protobuf_c_message_pack(m, b);
        *ret = b;
        *ret_len = n;
        return 0;
}

static int get_info(void *u, const uint8_t *req, size_t len, uint8_t **ret,
                    size_t *ret_len, char **ret_error)
{
        dra_options *p = u;
        char *versions[] = {(char *)"v1.DRAPlugin"};
        PluginInfo info = PLUGINREGISTRATION__PLUGIN_INFO__INIT;

        info.type = (char *)"DRAPlugin";
        info.name = (char *)p->cfg.driver;
        info.endpoint = p->endpoint;
        info.n_supported_versions = 1;
        info.supported_versions = versions;
        return pack(&info.base, ret, ret_len);
}

static int notify_status(void *u, const uint8_t *req, size_t len, uint8_t **ret,
                         size_t *ret_len, char **ret_error)
{
        RegStatus *st =
                pluginregistration__registration_status__unpack(NULL, len, req);
        Pluginregistration__RegistrationStatusResponse resp =
                PLUGINREGISTRATION__REGISTRATION_STATUS_RESPONSE__INIT;

        if (!st)
                return GRPC_INVALID_ARGUMENT;
        if (st->plugin_registered)
                log_info("Registered with the kubelet as DRA driver %s",
                         ((dra_options *)u)->cfg.driver);
        else
                log_error("The kubelet refused the registration: %s",
                          strna(st->error));
        pluginregistration__registration_status__free_unpacked(st, NULL);
        return pack(&resp.base, ret, ret_len);
}

static void free_prep(PrepResp *r)
{
        for (size_t i = 0; i < r->n_claims; i++) {
                PrepOne *one = r->claims[i]->value;

                for (size_t k = 0; k < one->n_devices; k++) {
                        free(one->devices[k]->request_names);
                        free(one->devices[k]->cdi_device_ids);
                        free(one->devices[k]);
                }
                free(one->devices);
                /* unset strings point at protobuf-c's static "" */
                if (one->error != protobuf_c_empty_string)
                        free(one->error);
                free(one);
                free(r->claims[i]);
        }
        free(r->claims);
}

/* One claim's answer; ds (prepared devices) must outlive the packing. */
static PrepEntry *prepare_one(dra_options *p, const Claim *cl, dra_device **ds,
                              size_t *n_ds)
{
        PrepEntry *e = calloc(1, sizeof(*e));
        PrepOne *one = calloc(1, sizeof(*one));
        char *error = NULL;
        int r;

        if (!e || !one) {
                free(e);
                free(one);
                return NULL;
        }
        k8s__io__kubelet__pkg__apis__dra__v1__node_prepare_resources_response__claims_entry__init(
                e);
        k8s__io__kubelet__pkg__apis__dra__v1__node_prepare_resource_response__init(
                one);
        e->key = cl->uid;
        e->value = one;
        r = dra_prepare(&p->cfg, cl->namespace_, cl->uid, cl->name, ds, n_ds,
                        &error);
        if (r < 0) {
                one->error = error ? error : strdup(strerror(-r));
                log_warning("Prepare %s/%s (%s): %s", cl->namespace_, cl->name,
                            cl->uid, strna(one->error));
                *ds = NULL;
                *n_ds = 0;
                return e;
        }
        one->devices = calloc(*n_ds + 1, sizeof(Device *));
        for (size_t k = 0; one->devices && k < *n_ds; k++) {
                Device *d = calloc(1, sizeof(*d));
                dra_device *x = &(*ds)[k];

                if (!d)
                        break;
                k8s__io__kubelet__pkg__apis__dra__v1__device__init(d);
                d->pool_name = x->pool;
                d->device_name = x->device;
                d->cdi_device_ids = malloc(sizeof(char *));
                d->request_names = malloc(sizeof(char *));
                if (d->cdi_device_ids) {
                        d->cdi_device_ids[0] = x->cdi_id;
                        d->n_cdi_device_ids = 1;
                }
                if (d->request_names && x->request) {
                        d->request_names[0] = x->request;
                        d->n_request_names = 1;
                }
                one->devices[one->n_devices++] = d;
        }
        log_info("Prepared %s/%s (%s): %zu device%s", cl->namespace_, cl->name,
                 cl->uid, *n_ds, *n_ds == 1 ? "" : "s");
        return e;
}

static int node_prepare(void *u, const uint8_t *req, size_t len, uint8_t **ret,
                        size_t *ret_len, char **ret_error)
{
        PrepReq *rq =
                k8s__io__kubelet__pkg__apis__dra__v1__node_prepare_resources_request__unpack(
                        NULL, len, req);
        PrepResp resp =
                K8S__IO__KUBELET__PKG__APIS__DRA__V1__NODE_PREPARE_RESOURCES_RESPONSE__INIT;
        dra_device **ds;
        size_t *n_ds;
        int r = GRPC_INTERNAL;

        if (!rq)
                return GRPC_INVALID_ARGUMENT;
        ds = calloc(rq->n_claims + 1, sizeof(*ds));
        n_ds = calloc(rq->n_claims + 1, sizeof(*n_ds));
        resp.claims = calloc(rq->n_claims + 1, sizeof(PrepEntry *));
        if (!ds || !n_ds || !resp.claims)
                goto out;
        for (size_t i = 0; i < rq->n_claims; i++) {
                PrepEntry *e = prepare_one(u, rq->claims[i], &ds[i], &n_ds[i]);

                if (!e)
                        goto out;
                resp.claims[resp.n_claims++] = e;
        }
        r = pack(&resp.base, ret, ret_len);
out:
        free_prep(&resp);
        for (size_t i = 0; ds && i < rq->n_claims; i++)
                dra_devices_free(ds[i], n_ds[i]);
        free(ds);
        free(n_ds);
        k8s__io__kubelet__pkg__apis__dra__v1__node_prepare_resources_request__free_unpacked(
                rq, NULL);
        return r;
}

static int node_unprepare(void *u, const uint8_t *req, size_t len,
                          uint8_t **ret, size_t *ret_len, char **ret_error)
{
        dra_options *p = u;
        UnprepReq *rq =
                k8s__io__kubelet__pkg__apis__dra__v1__node_unprepare_resources_request__unpack(
                        NULL, len, req);
        UnprepResp resp =
                K8S__IO__KUBELET__PKG__APIS__DRA__V1__NODE_UNPREPARE_RESOURCES_RESPONSE__INIT;
        UnprepEntry *es;
        UnprepOne *ones;
        int r;

        if (!rq)
                return GRPC_INVALID_ARGUMENT;
        es = calloc(rq->n_claims + 1, sizeof(*es));
        ones = calloc(rq->n_claims + 1, sizeof(*ones));
        resp.claims = calloc(rq->n_claims + 1, sizeof(UnprepEntry *));
        r = es && ones && resp.claims ? 0 : GRPC_INTERNAL;
        for (size_t i = 0; r == 0 && i < rq->n_claims; i++) {
                char *error = NULL;

                k8s__io__kubelet__pkg__apis__dra__v1__node_unprepare_resources_response__claims_entry__init(
                        &es[i]);
                k8s__io__kubelet__pkg__apis__dra__v1__node_unprepare_resource_response__init(
                        &ones[i]);
                es[i].key = rq->claims[i]->uid;
                es[i].value = &ones[i];
                if (dra_unprepare(&p->cfg, rq->claims[i]->uid, &error) < 0)
                        ones[i].error = error;
                resp.claims[resp.n_claims++] = &es[i];
        }
        if (r == 0)
                r = pack(&resp.base, ret, ret_len);
        for (size_t i = 0; ones && i < resp.n_claims; i++)
                if (ones[i].error != protobuf_c_empty_string)
                        free(ones[i].error);
        free(es);
        free(ones);
        free(resp.claims);
        k8s__io__kubelet__pkg__apis__dra__v1__node_unprepare_resources_request__free_unpacked(
                rq, NULL);
        return r;
}

void dra_help(void)
{
        printf("devpass-kubelet-plugin — devpass as a Kubernetes DRA driver\n\n"
               "Usage: devpass-kubelet-plugin --driver NAME [OPTIONS]\n\n"
               "  --driver NAME         DRA driver name (e.g. devpass.io)\n"
               "  --registry-dir DIR    kubelet plugin registry (default "
               "/var/lib/kubelet/plugins_registry)\n"
               "  --plugin-dir DIR      where DRIVER/dra.sock is made "
               "(default /var/lib/kubelet/plugins)\n"
               "  --cdi-dir DIR         devpassd's CDI dir (default %s)\n"
               "  --kube-api URL        API server (default $DEVPASS_KUBE_API, "
               "else\n"
               "                        https://$KUBERNETES_SERVICE_HOST:"
               "$KUBERNETES_SERVICE_PORT,\n"
               "                        else https://kubernetes.default.svc)\n"
               "  --kube-token FILE     bearer token (default the service "
               "account's)\n"
               "  --kube-ca FILE        CA bundle (default the service "
               "account's)\n"
               "  --node-name NAME      this node (default $NODE_NAME, else "
               "the host name)\n"
               "  --log-level LEVEL     err, warning, notice, info, debug\n"
               "  -h, --help            this help\n",
               DP_DEFAULT_CDI_DIR);
}

static char *sock_path(const char *dir, const char *a, const char *b)
{
        return strjoin_sep("", dir, "/", a, b, NULL);
}

int dra_serve_open(dra_options *o, dra_server **ret)
{
        _cleanup_free_ char *dir = NULL;
        dra_server *s = NULL;
        int r;

        dir = strjoin_sep("/", o->plugin_dir, o->cfg.driver, NULL);
        o->reg_socket = sock_path(o->registry_dir, o->cfg.driver, "-reg.sock");
        o->endpoint = sock_path(o->plugin_dir, o->cfg.driver, "/dra.sock");
        if (!dir || !o->reg_socket || !o->endpoint)
                return -ENOMEM;
        if (strchr(o->cfg.driver, '/') || o->cfg.driver[0] == '.')
                return -EINVAL;
        if ((r = mkdir_p(dir, 0750)) < 0 ||
            (r = mkdir_p(o->registry_dir, 0750)) < 0)
                return r;
        r = dra_server_new(&s);
        if (r < 0)
                return r;
        if ((r = dra_server_add_method(s,
                                       "/pluginregistration.Registration/"
                                       "GetInfo",
                                       get_info, o)) < 0 ||
            (r = dra_server_add_method(s,
                                       "/pluginregistration.Registration/"
                                       "NotifyRegistrationStatus",
                                       notify_status, o)) < 0 ||
            (r = dra_server_add_method(s,
                                       "/k8s.io.kubelet.pkg.apis.dra.v1."
                                       "DRAPlugin/NodePrepareResources",
                                       node_prepare, o)) < 0 ||
            (r = dra_server_add_method(s,
                                       "/k8s.io.kubelet.pkg.apis.dra.v1."
                                       "DRAPlugin/NodeUnprepareResources",
                                       node_unprepare, o)) < 0)
                goto fail;
        /* the DRA service first: the kubelet dials it as soon as it sees
         * the registration socket */
        if ((r = dra_server_listen(s, o->endpoint)) < 0 ||
            (r = dra_server_listen(s, o->reg_socket)) < 0 ||
            (r = dra_server_start(s)) < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        dra_server_free(s);
        return r;
}

void dra_options_done(dra_options *o)
{
        free(o->reg_socket);
        free(o->endpoint);
        o->reg_socket = o->endpoint = NULL;
}
