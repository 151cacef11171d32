/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the policy parser must survive any bytes, and a parsed
 * policy must survive matching. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devpass/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_policy_free_ dp_policy *p = dp_policy_new();
        _cleanup_device_free_ dp_device *d = dp_device_new();
        _cleanup_strv_free_ char **trace = NULL;
        dp_diag_list diags = {0};

        if (!p || !d)
                return 0;
        (void)dp_policy_parse_buffer(p, "fuzz.policy", (const char *)data, size,
                                     &diags);
        dp_diag_list_clear(&diags);
        /* exercise the matcher on whatever was accepted */
        d->klass = DP_CLASS_GPU;
        d->name = strdup("card0");
        d->has_vendor = true;
        d->vendor = 0x10de;
        d->input = DP_INPUT_KEYBOARD;
        (void)dp_device_add_node(d, "/dev/dri/card0", 'c', 226, 0);
        (void)dp_policy_match(p, d, &trace);
        for (size_t i = 0; i < dp_policy_n_rules(p); i++)
                STRV_FOREACH (c, dp_rule_containers(dp_policy_rule(p, i)))
                        (void)dp_container_ref_match(*c, "lxc:ml-1");
        return 0;
}
