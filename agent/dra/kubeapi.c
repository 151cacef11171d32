/* SPDX-License-Identifier: MIT */
/* Requests to the Kubernetes API server: libcurl, JSON bodies, the service
 * account's bearer token and CA, a 5 s limit (a hung API server delays a
 * Prepare, never hangs it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "devpass/util.h"
#include "dra/kubeapi.h"

static size_t on_body(char *p, size_t size, size_t n, void *f)
{
        return fwrite(p, size, n, f);
}

int kube_request(const dra_config *c, const char *method, const char *path,
                 const char *body_out, long *ret_code, char **ret_body)
{
        _cleanup_free_ char *url = strjoin_sep("", c->api, path, NULL);
        _cleanup_free_ char *token = NULL, *auth = NULL;
        struct curl_slist *hdr = NULL;
        char *body = NULL;
        size_t len = 0;
        FILE *f;
        CURL *h;
        CURLcode e;

        if (!url)
                return -ENOMEM;
        if (c->token_file && read_one_line(c->token_file, &token) >= 0 &&
            !(auth = strjoin_sep("", "Authorization: Bearer ", token, NULL)))
                return -ENOMEM;
        f = open_memstream(&body, &len);
        h = curl_easy_init();
        if (!f || !h) {
                if (f)
                        fclose(f);
                free(body);
                curl_easy_cleanup(h);
                return -ENOMEM;
        }
        hdr = curl_slist_append(hdr, "Accept: application/json");
        if (body_out) {
                hdr = curl_slist_append(hdr, "Content-Type: application/json");
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_out);
        }
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (auth)
                hdr = curl_slist_append(hdr, auth);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c->ca_file)
                curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
        e = curl_easy_perform(h);
        if (e == CURLE_OK)
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, ret_code);
        curl_slist_free_all(hdr);
        curl_easy_cleanup(h);
        fclose(f);
        if (e != CURLE_OK) {
                free(body);
                return -EHOSTUNREACH;
        }
        *ret_body = body;
        return 0;
}
