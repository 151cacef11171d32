/* SPDX-License-Identifier: MIT */
#include "devpass/act.h"

/* The real privileged operations; tests hand the core a fake table. */
const dp_act_ops dp_act_ops_real = {
        .node_create = dp_act_node_create,
        .node_remove = dp_act_node_remove,
        .node_present = dp_act_node_present,
        .node_set_attrs = dp_act_node_set_attrs,
        .cg1_covered = dp_cg1_covered,
        .cg1_allow = dp_cg1_allow,
        .cg1_deny = dp_cg1_deny,
        .cg2_grant = dp_cg2_grant,
        .cg2_revoke = dp_cg2_revoke,
        .cg2_has = dp_cg2_has,
        .cg2_release = dp_cg2_release,
        .cg2_sweep = dp_cg2_sweep,
        .sd_unit_by_pid = dp_sd_unit_by_pid,
        .sd_allow_get = dp_sd_allow_get,
        .sd_allow_add = dp_sd_allow_add,
        .sd_allow_set = dp_sd_allow_set,
        .cg2_progs = dp_cg2_progs,
        .net_move_in = dp_act_net_move_in,
        .net_move_out = dp_act_net_move_out,
        .net_identify = dp_act_net_identify,
        .net_netns_open = dp_act_net_netns_open,
        .revoke_open = dp_act_revoke_open,
        .symlink_create = dp_act_symlink_create,
        .symlink_remove = dp_act_symlink_remove,
        .node_forget = dp_act_node_forget,
        .node_backing = dp_act_node_backing,
        .node_backing_remove = dp_act_node_backing_remove,
        .forward = dp_act_forward,
};
