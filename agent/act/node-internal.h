/* SPDX-License-Identifier: MIT */
#pragma once

/* Pieces shared by the privileged (node.c) and user-namespaced
 * (node-userns.c) node paths. */

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "devpass/act.h"

/* A spec checked and translated to host terms. */
typedef struct node_req {
        char *dir;   /* parent directory inside the container */
        char *base;  /* last component */
        mode_t type; /* S_IFCHR or S_IFBLK */
        dev_t rdev;
        mode_t mode;
        uid_t uid, gid; /* host ids of the node's owner */
        uid_t root_uid; /* host ids of the container's root, */
        gid_t root_gid; /* owner of directories we create */
} node_req;

void node_req_done(node_req *req);
int node_req_init(const dp_container *c, const dp_node_spec *spec,
                  node_req *ret);

/* True if st is a node of the requested type and rdev. */
bool node_stat_matches(const struct stat *st, const node_req *req);
/* Gives the node behind an O_PATH fd the requested owner and exact mode. */
int node_fix_owner_mode(int fd, const node_req *req, const struct stat *st);
/* Looks at `base` in dirfd: 1 if it is the requested node (and, with ret_fd,
 * an O_PATH fd to it), 0 if missing, -EEXIST if something else is there. */
int node_probe(int dirfd, const node_req *req, int *ret_fd);

int node_userns_create(const dp_container *c, const node_req *req,
                       bool *ret_created);
int node_userns_remove(const dp_container *c, const node_req *req);
/* An O_PATH fd to the host-side node behind a user-namespaced grant;
 * -ENOENT if it is not there, -EEXIST if something else is. */
int node_userns_host_open(const dp_container *c, const node_req *req,
                          int *ret_fd);
