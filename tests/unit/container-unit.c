/* SPDX-License-Identifier: MIT */
/* Container resolution: the HTTP client's deadline and the Docker, Podman,
 * Incus, LXD and nspawn backends against fake runtimes this test starts
 * itself (the parsers have container-parse.c). The "container"
 * behind every fake answer is a child process of the test with a mount
 * namespace of its own, in a real cgroup whose path holds what each runtime
 * names its containers' cgroups by (docker's id, lxc.payload.NAME, the
 * machine scope), since devpass believes no runtime answer that the pid's
 * cgroup contradicts. Root: it makes namespaces, cgroups and sockets of
 * other users (the authentication cases). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "devpass/config.h"
#include "core/runtime.h"
#include "devpass/runtime.h"
#include "devpass/util.h"

static char tmpdir[] = "/tmp/dpt-ctr-XXXXXX";
static pid_t ctr_pid;        /* stands in for a container's init */
static pid_t stranger_pid;   /* own mount namespace, in no runtime's cgroup */
static char cg_dirs[2][256]; /* ctr_pid's cgroups (v2, v1 devices) */
#define CG_LEAF  "machine-m1.scope/lxc.payload.web/docker-4fa6e0f0c678"
#define EVIL_UID 12345
static pid_t extra_pid;  /* a second one, killed by a test */
static pid_t servers[3]; /* docker, incus, stall */
static char sock_docker[128], sock_incus[128], sock_stall[128],
        sock_missing[128], machines[128], cgv2[128];

static void write_file(const char *dir, const char *name, const char *text);

/* ---- a fake runtime daemon ---- */

typedef struct route {
        const char *path;
        char *response; /* complete HTTP response */
        bool huge;      /* stream a body over the client's cap */
} route;

static char *http_ok(const char *body)
{
        char *s;

        assert_true(
                asprintf(&s,
                         "HTTP/1.1 200 OK\r\nContent-Type: "
                         "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(body), body) > 0);
        return s;
}

static char *http_status(const char *status, const char *body)
{
        char *s;

        assert_true(asprintf(&s,
                             "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s",
                             status, strlen(body), body) > 0);
        return s;
}

/* The body in chunks of 7 bytes, with a chunk extension and a trailer. */
static char *http_chunked(const char *body)
{
        size_t n = strlen(body), cap = n * 4 + 256, w = 0;
        char *s = malloc(cap);

        assert_non_null(s);
        w += (size_t)snprintf(s, cap,
                              "HTTP/1.1 200 OK\r\nContent-Type: "
                              "application/json\r\nTransfer-Encoding: "
                              "chunked\r\n\r\n");
        for (size_t i = 0; i < n; i += 7) {
                size_t l = n - i < 7 ? n - i : 7;
                w += (size_t)snprintf(s + w, cap - w, "%zx%s\r\n", l,
                                      i == 0 ? ";x=y" : "");
                memcpy(s + w, body + i, l);
                w += l;
                w += (size_t)snprintf(s + w, cap - w, "\r\n");
        }
        snprintf(s + w, cap - w, "0\r\nX-Trailer: 1\r\n\r\n");
        return s;
}

static void serve(int lfd, const route *routes, size_t n)
{
        signal(SIGPIPE, SIG_IGN);
        for (;;) {
                char req[4096], path[1024];
                size_t len = 0;
                int fd = accept(lfd, NULL, NULL);

                if (fd < 0)
                        continue;
                while (len < sizeof(req) - 1) {
                        ssize_t r = read(fd, req + len, sizeof(req) - 1 - len);
                        if (r <= 0)
                                break;
                        len += (size_t)r;
                        req[len] = 0;
                        if (strstr(req, "\r\n\r\n"))
                                break;
                }
                req[len] = 0;
                const route *rt = NULL;
                if (sscanf(req, "GET %1023s HTTP/1.1", path) == 1 &&
                    strstr(req, "\r\nHost: localhost\r\n") &&
                    strstr(req, "\r\nConnection: close\r\n"))
                        for (size_t i = 0; i < n; i++)
                                if (streq(routes[i].path, path))
                                        rt = &routes[i];
                if (!rt) {
                        const char *nf =
                                "HTTP/1.1 404 Not Found\r\nContent-Length: "
                                "37\r\n\r\n{\"message\":\"No such container: "
                                "xxxx\"}";
                        (void)!write(fd, nf, strlen(nf));
                } else if (rt->huge) {
                        static char block[65536];
                        /* No length: the client reads to its cap. */
                        const char *h = "HTTP/1.1 200 OK\r\n\r\n";
                        memset(block, ' ', sizeof(block));
                        (void)!write(fd, h, strlen(h));
                        for (int i = 0; i < 92; i++)
                                if (write(fd, block, sizeof(block)) < 0)
                                        break;
                } else
                        (void)!write(fd, rt->response, strlen(rt->response));
                close(fd);
        }
}

/* as_uid: the uid that listens (the kernel records the listener's
 * credentials at listen(), which is what SO_PEERCRED reports). */
static pid_t start_server_as(const char *path, const route *routes, size_t n,
                             uid_t as_uid)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        pid_t pid;

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (as_uid != 0 && setresuid(as_uid, as_uid, as_uid) < 0)
                        _exit(1);
                if (listen(fd, 16) < 0)
                        _exit(1);
                if (routes)
                        serve(fd, routes, n);
                for (;;) /* accept and never answer */
                        pause();
        }
        close(fd);
        /* the child listens: wait until a connect() goes through */
        for (int i = 0; i < 500; i++) {
                int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int ok = connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0;

                close(c);
                if (ok)
                        break;
                usleep(2000);
        }
        return pid;
}

static pid_t start_server(const char *path, const route *routes, size_t n)
{
        return start_server_as(path, routes, n, 0);
}

/* A child that sleeps in a mount namespace of its own (so that it is not
 * the host), ready when this returns. */
static pid_t start_sleeper(void)
{
        int p[2];
        char c;
        pid_t pid;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                if (unshare(CLONE_NEWNS) < 0)
                        _exit(1);
                (void)!write(p[1], "x", 1);
                close(p[1]);
                for (;;)
                        pause();
        }
        close(p[1]);
        assert_int_equal(read(p[0], &c, 1), 1);
        close(p[0]);
        return pid;
}

/* Puts pid into ROOT/dpt-unit-PID/CG_LEAF of both device hierarchies. */
static void cgroups_enter(pid_t pid)
{
        const char *roots[2] = {dp_cgroup_v2_root(),
                                dp_cgroup_v1_devices_root()};
        const char *files[2] = {"cgroup.procs", "tasks"};

        for (int i = 0; i < 2; i++) {
                char cmd[512], pidtext[16];

                if (!roots[i])
                        continue;
                snprintf(cg_dirs[i], sizeof(cg_dirs[i]), "%s/dpt-unit-%d/%s",
                         roots[i], (int)getpid(), CG_LEAF);
                snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", cg_dirs[i]);
                assert_int_equal(system(cmd), 0);
                snprintf(pidtext, sizeof(pidtext), "%d\n", (int)pid);
                write_file(cg_dirs[i], files[i], pidtext);
        }
}

static void cgroups_remove(void)
{
        for (int i = 0; i < 2; i++) {
                char *slash;

                if (!cg_dirs[i][0])
                        continue;
                /* leaf first, up to dpt-unit-PID */
                for (int k = 0; k < 4; k++) {
                        rmdir(cg_dirs[i]);
                        slash = strrchr(cg_dirs[i], '/');
                        if (!slash)
                                break;
                        *slash = 0;
                }
        }
}

static void write_file(const char *dir, const char *name, const char *text)
{
        _cleanup_free_ char *p = strjoin_sep("/", dir, name, NULL);
        FILE *f = fopen(p, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        char body[2048], *s;

        if (!mkdtemp(tmpdir))
                return -1;
        ctr_pid = start_sleeper();
        stranger_pid = start_sleeper();
        cgroups_enter(ctr_pid);
        snprintf(sock_docker, sizeof(sock_docker), "%s/docker.sock", tmpdir);
        snprintf(sock_incus, sizeof(sock_incus), "%s/incus.sock", tmpdir);
        snprintf(sock_stall, sizeof(sock_stall), "%s/stall.sock", tmpdir);
        snprintf(sock_missing, sizeof(sock_missing), "%s/none.sock", tmpdir);
        snprintf(machines, sizeof(machines), "%s/machines", tmpdir);
        snprintf(cgv2, sizeof(cgv2), "%s/cgv2", tmpdir);

        /* Shapes as documented for GET /containers/{id}/json. */
        snprintf(body, sizeof(body),
                 "{\"Id\":\"4fa6e0f0c678\",\"Name\":\"/web\",\"State\":{"
                 "\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
                 "\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,"
                 "\"Pid\":%d,\"ExitCode\":0,\"Error\":\"\",\"StartedAt\":"
                 "\"2024-01-01T00:00:00Z\"},\"HostConfig\":{\"CgroupParent\":"
                 "\"\",\"Cgroup\":\"\",\"CgroupnsMode\":\"private\"}}",
                 (int)ctr_pid);
        /* Lies: the test itself (the host), a process in no container's
         * cgroup. */
        char host_body[512], stranger_body[512];
        snprintf(host_body, sizeof(host_body),
                 "{\"Id\":\"4fa6e0f0c678\",\"State\":{\"Running\":true,"
                 "\"Pid\":%d}}",
                 (int)getpid());
        snprintf(stranger_body, sizeof(stranger_body),
                 "{\"Id\":\"4fa6e0f0c678\",\"State\":{\"Running\":true,"
                 "\"Pid\":%d}}",
                 (int)stranger_pid);
        route docker[] = {
                {"/containers/web/json", http_ok(body), false},
                {"/containers/chunky/json", http_chunked(body), false},
                {"/containers/stopped/json",
                 http_ok("{\"Id\":\"1\",\"Name\":\"/stopped\",\"State\":{"
                         "\"Status\":\"exited\",\"Running\":false,\"Pid\":0,"
                         "\"ExitCode\":0}}"),
                 false},
                {"/containers/garbage/json", http_ok("{\"State\": {\"Runn"),
                 false},
                {"/containers/trailing/json", http_ok("{\"State\":{}} xx"),
                 false},
                {"/containers/broken/json",
                 strdup("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{}"),
                 false},
                {"/containers/huge/json", NULL, true},
                {"/containers/host/json", http_ok(host_body), false},
                {"/containers/stranger/json", http_ok(stranger_body), false},
                {"/containers/err/json",
                 http_status("500 Internal Server Error",
                             "{\"message\":\"x\"}"),
                 false},
                {"/containers/json",
                 http_ok("[{\"Id\":\"4fa6e0f0c678\",\"Names\":[\"/web\"],"
                         "\"Image\":\"busybox\",\"State\":\"running\","
                         "\"Status\":\"Up 2 minutes\"}]"),
                 false},
        };
        servers[0] = start_server(sock_docker, docker, ELEMENTSOF(docker));

        /* Incus: GET /1.0/instances/{name}, …/state, ?recursion=1. */
        snprintf(body, sizeof(body),
                 "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":"
                 "200,\"operation\":\"\",\"error_code\":0,\"error\":\"\","
                 "\"metadata\":{\"status\":\"Running\",\"status_code\":103,"
                 "\"disk\":{},\"memory\":{\"usage\":1},\"network\":null,"
                 "\"pid\":%d,\"processes\":1,\"cpu\":{\"usage\":1}}}",
                 (int)ctr_pid);
#define SYNC(m)                                                              \
        "{\"type\":\"sync\",\"status\":\"Success\",\"status_code\":200,"     \
        "\"operation\":\"\",\"error_code\":0,\"error\":\"\",\"metadata\":" m \
        "}"
        route incus[] = {
                {"/1.0/instances/web",
                 http_ok(SYNC("{\"name\":\"web\",\"status\":\"Running\","
                              "\"type\":\"container\",\"project\":"
                              "\"default\"}")),
                 false},
                {"/1.0/instances/web/state", http_chunked(body), false},
                {"/1.0/instances/off",
                 http_ok(SYNC("{\"name\":\"off\",\"status\":\"Stopped\","
                              "\"type\":\"container\"}")),
                 false},
                {"/1.0/instances/off/state",
                 http_ok(SYNC("{\"status\":\"Stopped\",\"status_code\":102,"
                              "\"pid\":0}")),
                 false},
                {"/1.0/instances/vm1",
                 http_ok(SYNC("{\"name\":\"vm1\",\"status\":\"Running\","
                              "\"type\":\"virtual-machine\"}")),
                 false},
                {"/1.0/instances/vm1/state",
                 http_ok(SYNC("{\"status\":\"Running\",\"pid\":1}")), false},
                {"/1.0/instances?recursion=1",
                 http_ok(SYNC("[{\"name\":\"web\",\"status\":\"Running\","
                              "\"type\":\"container\"},{\"name\":\"vm1\","
                              "\"status\":\"Running\",\"type\":\"virtual-"
                              "machine\"},{\"name\":\"off\",\"status\":"
                              "\"Stopped\",\"type\":\"container\"}]")),
                 false},
        };
        servers[1] = start_server(sock_incus, incus, ELEMENTSOF(incus));
        servers[2] = start_server(sock_stall, NULL, 0);
        for (size_t i = 0; i < ELEMENTSOF(docker); i++)
                free(docker[i].response);
        for (size_t i = 0; i < ELEMENTSOF(incus); i++)
                free(incus[i].response);

        assert_int_equal(mkdir(machines, 0755), 0);
        assert_true(asprintf(&s,
                             "NAME=m1\nLEADER=%d\nCLASS=container\n"
                             "SCOPE=machine-m1.scope\n",
                             (int)ctr_pid) > 0);
        write_file(machines, "m1", s);
        write_file(machines, "web", s); /* same name as docker:web */
        free(s);
        write_file(machines, "qemu", "LEADER=1\nCLASS=vm\n");
        write_file(machines, "dead", "LEADER=2147483600\nCLASS=container\n");
        s = strjoin_sep("/", machines, "unit:machine-m1.scope", NULL);
        assert_non_null(s);
        assert_int_equal(symlink("m1", s), 0);
        free(s);

        dp_config_set("docker-socket", sock_docker);
        dp_config_set("podman-socket", sock_docker);
        dp_config_set("incus-socket", sock_incus);
        dp_config_set("lxd-socket", sock_missing);
        dp_config_set("machines-dir", machines);
        return 0;
}

static int teardown(void **state)
{
        char cmd[256];

        for (size_t i = 0; i < ELEMENTSOF(servers); i++)
                if (servers[i] > 0) {
                        kill(servers[i], SIGKILL);
                        waitpid(servers[i], NULL, 0);
                }
        if (extra_pid > 0) {
                kill(extra_pid, SIGKILL);
                waitpid(extra_pid, NULL, 0);
        }
        if (ctr_pid > 0) {
                kill(ctr_pid, SIGKILL);
                waitpid(ctr_pid, NULL, 0);
        }
        if (stranger_pid > 0) {
                kill(stranger_pid, SIGKILL);
                waitpid(stranger_pid, NULL, 0);
        }
        cgroups_remove();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* ---- pure parsing ---- */

static void assert_is_ctr(const dp_container *c, dp_runtime rt, const char *ref)
{
        uint32_t v;

        assert_non_null(c);
        assert_int_equal(c->pid, ctr_pid);
        assert_int_equal(c->runtime, rt);
        assert_string_equal(c->ref, ref);
        assert_true(c->starttime > 0);
        assert_false(c->userns);
        assert_int_equal(dp_container_map_uid(c, 1000, &v), 0);
        assert_int_equal(v, 1000);
        assert_int_equal(dp_container_check_alive(c), 0);
}

static void test_docker(void **state)
{
        dp_container *c = NULL;

        assert_int_equal(dp_container_resolve("docker:web", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_DOCKER, "docker:web");
        assert_string_equal(c->name, "web");
        assert_false(c->systemd_managed);
        dp_container_free(c);
        c = NULL;
        assert_int_equal(dp_container_resolve("docker:chunky", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_DOCKER, "docker:chunky");
        dp_container_free(c);
        c = NULL;
        assert_int_equal(dp_container_resolve("podman:web", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_PODMAN, "podman:web");
        dp_container_free(c);
        c = NULL;

        assert_int_equal(dp_container_resolve("docker:stopped", &c), -ESRCH);
        assert_int_equal(dp_container_resolve("docker:nope", &c), -ENOENT);
        assert_int_equal(dp_container_resolve("docker:garbage", &c), -EBADMSG);
        assert_int_equal(dp_container_resolve("docker:trailing", &c), -EBADMSG);
        assert_int_equal(dp_container_resolve("docker:broken", &c), -EBADMSG);
        assert_int_equal(dp_container_resolve("docker:huge", &c), -EFBIG);
        assert_int_equal(dp_container_resolve("docker:err", &c), -EIO);
        assert_null(c);
        dp_config_set("docker-socket", sock_missing);
        assert_int_equal(dp_container_resolve("docker:web", &c), -ENOMEDIUM);
        dp_config_set("docker-socket", sock_docker);
        assert_null(c);
}

static void test_http_timeout(void **state)
{
        char *body = NULL;
        unsigned st;

        assert_int_equal(dp_http_get(sock_stall, "/x", 200, &st, &body, NULL),
                         -ETIMEDOUT);
        assert_null(body);
        assert_int_equal(dp_http_get(sock_missing, "/x", 200, &st, &body, NULL),
                         -ENOMEDIUM);
        assert_int_equal(
                dp_http_get(sock_docker, "/a b", 200, &st, &body, NULL),
                -EINVAL);
}

static void test_incus(void **state)
{
        dp_container *c = NULL;

        assert_int_equal(dp_container_resolve("incus:web", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_INCUS, "incus:web");
        dp_container_free(c);
        c = NULL;
        assert_int_equal(dp_container_resolve("incus:off", &c), -ESRCH);
        assert_int_equal(dp_container_resolve("incus:vm1", &c), -ENOENT);
        assert_int_equal(dp_container_resolve("incus:nope", &c), -ENOENT);
        assert_int_equal(dp_container_resolve("lxd:web", &c), -ENOMEDIUM);
        dp_config_set("lxd-socket", sock_incus);
        assert_int_equal(dp_container_resolve("lxd:web", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_LXD, "lxd:web");
        dp_config_set("lxd-socket", sock_missing);
        dp_container_free(c);
}

static void test_nspawn(void **state)
{
        dp_container *c = NULL;

        assert_int_equal(dp_container_resolve("nspawn:m1", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_NSPAWN, "nspawn:m1");
        assert_true(c->systemd_managed);
        dp_container_free(c);
        c = NULL;
        assert_int_equal(dp_container_resolve("nspawn:qemu", &c), -ENOENT);
        assert_int_equal(dp_container_resolve("nspawn:dead", &c), -ESRCH);
        assert_int_equal(dp_container_resolve("nspawn:nope", &c), -ENOENT);
        assert_int_equal(
                dp_container_resolve("nspawn:unit:machine-m1.scope", &c),
                -EILSEQ);
        dp_config_set("machines-dir", sock_missing);
        /* machined is not running: said, not "no such container" */
        assert_int_equal(dp_container_resolve("nspawn:m1", &c), -EHOSTDOWN);
        dp_config_set("machines-dir", machines);
        assert_null(c);
}

static void test_bare_and_list(void **state)
{
        _cleanup_strv_free_ char **refs = NULL;
        dp_container *c = NULL;
        char *joined;

        /* m1 only exists as an nspawn machine. */
        assert_int_equal(dp_container_resolve("m1", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_NSPAWN, "nspawn:m1");
        dp_container_free(c);
        c = NULL;
        /* chunky only in docker and podman (same fake socket): ambiguous. */
        assert_int_equal(dp_container_resolve("chunky", &c), -ENOTUNIQ);
        assert_int_equal(dp_container_resolve("web", &c), -ENOTUNIQ);
        dp_config_set("podman-socket", sock_missing);
        assert_int_equal(dp_container_resolve("chunky", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_DOCKER, "docker:chunky");
        dp_container_free(c);
        c = NULL;
        assert_int_equal(dp_container_resolve("off", &c), -ESRCH);
        assert_int_equal(dp_container_resolve("nothing", &c), -ENOENT);

        assert_int_equal(dp_container_list_running(&refs), 0);
        joined = strjoin_sep(" ", "", NULL);
        STRV_FOREACH (r, refs) {
                char *j = strjoin_sep(" ", joined, *r, NULL);
                free(joined);
                joined = j;
        }
        /* nspawn:web exists too (the ambiguity test); dead/qemu skipped. */
        assert_string_equal(joined,
                            " docker:web incus:web nspawn:m1 nspawn:web");
        free(joined);

        dp_config_set("docker-socket", sock_missing);
        dp_config_set("incus-socket", sock_missing);
        dp_config_set("machines-dir", sock_missing);
        assert_int_equal(dp_container_resolve("nothing", &c), -ENOMEDIUM);
        strv_free(refs);
        refs = NULL;
        assert_int_equal(dp_container_list_running(&refs), 0);
        assert_int_equal(strv_length(refs), 0);
        dp_config_set("docker-socket", sock_docker);
        dp_config_set("podman-socket", sock_docker);
        dp_config_set("incus-socket", sock_incus);
        dp_config_set("machines-dir", machines);
        assert_null(c);
}

static void test_pid_and_cgroup(void **state)
{
        dp_container *c = NULL;
        char ref[256], procs[64], dir[192];
        pid_t init = 0, dead;

        snprintf(ref, sizeof(ref), "pid:%d", (int)ctr_pid);
        assert_int_equal(dp_container_resolve(ref, &c), 0);
        assert_is_ctr(c, DP_RUNTIME_PID, ref);
        dp_container_free(c);
        c = NULL;

        /* A fake cgroup2 tree: init is the process whose parent is not in
         * the cgroup (this test, parent of ctr_pid). */
        snprintf(dir, sizeof(dir), "%s/ctr.slice/x", cgv2);
        assert_int_equal(mkdir_p(dir, 0755), 0);
        snprintf(procs, sizeof(procs), "%d\n%d\n", (int)ctr_pid, (int)getpid());
        write_file(dir, "cgroup.procs", procs);
        assert_int_equal(dp_cgroup_find_init(dir, &init), 0);
        assert_int_equal(init, getpid());
        snprintf(procs, sizeof(procs), "%d\n", (int)ctr_pid);
        write_file(dir, "cgroup.procs", procs);
        dp_config_set("cgroup-v2", cgv2);
        dp_config_set("cgroup-v1-devices", sock_missing);
        assert_int_equal(dp_container_resolve("cgroup:ctr.slice/x", &c), 0);
        assert_int_equal(c->pid, ctr_pid);
        assert_string_equal(c->ref, "cgroup:ctr.slice/x");
        assert_string_equal(c->cgroup_v2, dir);
        assert_null(c->cgroup_v1_devices);
        dp_container_free(c);
        c = NULL;
        /* Absolute form under the v2 root. */
        assert_int_equal(dp_container_resolve(dir, &c), -EINVAL);
        snprintf(ref, sizeof(ref), "cgroup:%s", dir);
        assert_int_equal(dp_container_resolve(ref, &c), 0);
        assert_string_equal(c->ref, "cgroup:ctr.slice/x");
        dp_container_free(c);
        c = NULL;
        write_file(dir, "cgroup.procs", "");
        assert_int_equal(dp_container_resolve("cgroup:ctr.slice/x", &c),
                         -ESRCH);
        assert_int_equal(dp_container_resolve("cgroup:ctr.slice/none", &c),
                         -ENOENT);
        dp_config_set("cgroup-v2", NULL);
        dp_config_set("cgroup-v1-devices", NULL);

        /* A process that is gone. */
        dead = fork();
        if (dead == 0)
                _exit(0);
        assert_int_equal(waitpid(dead, NULL, 0), dead);
        snprintf(ref, sizeof(ref), "pid:%d", (int)dead);
        assert_int_equal(dp_container_resolve(ref, &c), -ESRCH);
        assert_null(c);
}

static void test_check_alive(void **state)
{
        dp_container *c = NULL;
        pid_t p = fork();

        if (p == 0) {
                for (;;)
                        pause();
        }
        extra_pid = p;
        assert_int_equal(dp_container_from_pid(p, &c), 0);
        assert_int_equal(dp_container_check_alive(c), 0);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        extra_pid = 0;
        assert_int_equal(dp_container_check_alive(c), -ESRCH);
        /* Without a pidfd the starttime decides. */
        c->pidfd = safe_close(c->pidfd);
        assert_int_equal(dp_container_check_alive(c), -ESRCH);
        dp_container_free(c);
        assert_string_equal(dp_container_strerror(-ESRCH),
                            "container is not running");
        assert_non_null(dp_container_strerror(-ENOTUNIQ));
}

/* Answers devpass must not believe (DESIGN.md §5). */
static void test_auth(void **state)
{
        char sock_evil[160], sock_chowned[160], path[200];
        dp_container *c = NULL;
        route web[] = {{"/containers/web/json", NULL, false}};
        pid_t evil, chowned;
        char body[512];

        /* The pid is the host itself, or a process in no container's
         * cgroup: refused though the socket is root's. */
        assert_int_equal(dp_container_resolve("docker:host", &c),
                         -EHOSTUNREACH);
        assert_int_equal(dp_container_resolve("docker:stranger", &c),
                         -EKEYREJECTED);
        assert_null(c);

        /* A correct answer, from a listener that is not root. */
        snprintf(body, sizeof(body),
                 "{\"Id\":\"4fa6e0f0c678\",\"State\":{\"Running\":true,"
                 "\"Pid\":%d}}",
                 (int)ctr_pid);
        web[0].response = http_ok(body);
        snprintf(sock_evil, sizeof(sock_evil), "%s/evil.sock", tmpdir);
        evil = start_server_as(sock_evil, web, 1, EVIL_UID);
        dp_config_set("docker-socket", sock_evil);
        assert_int_equal(dp_container_resolve("docker:web", &c), -EKEYREJECTED);
        /* … or from root, through a socket file another user owns. */
        snprintf(sock_chowned, sizeof(sock_chowned), "%s/chowned.sock", tmpdir);
        chowned = start_server(sock_chowned, web, 1);
        assert_int_equal(chown(sock_chowned, EVIL_UID, EVIL_UID), 0);
        dp_config_set("docker-socket", sock_chowned);
        assert_int_equal(dp_container_resolve("docker:web", &c), -EKEYREJECTED);
        assert_int_equal(chown(sock_chowned, 0, 0), 0);
        assert_int_equal(dp_container_resolve("docker:web", &c), 0);
        assert_is_ctr(c, DP_RUNTIME_DOCKER, "docker:web");
        dp_container_free(c);
        c = NULL;
        dp_config_set("docker-socket", sock_docker);
        kill(evil, SIGKILL);
        kill(chowned, SIGKILL);
        waitpid(evil, NULL, 0);
        waitpid(chowned, NULL, 0);
        free(web[0].response);

        /* A machine registration another user could have written. */
        snprintf(body, sizeof(body), "NAME=m1\nLEADER=%d\nCLASS=container\n",
                 (int)ctr_pid);
        write_file(machines, "forged", body);
        snprintf(path, sizeof(path), "%s/forged", machines);
        assert_int_equal(chown(path, EVIL_UID, EVIL_UID), 0);
        assert_int_equal(dp_container_resolve("nspawn:forged", &c),
                         -EKEYREJECTED);
        assert_int_equal(chown(path, 0, 0), 0);
        assert_int_equal(chmod(path, 0666), 0);
        assert_int_equal(dp_container_resolve("nspawn:forged", &c),
                         -EKEYREJECTED);
        assert_int_equal(chmod(path, 0644), 0);
        assert_int_equal(dp_container_resolve("nspawn:forged", &c), 0);
        dp_container_free(c);
        c = NULL;
        /* A registration whose scope is not the leader's cgroup. */
        snprintf(body, sizeof(body),
                 "NAME=m2\nLEADER=%d\nCLASS=container\n"
                 "SCOPE=machine-m2.scope\n",
                 (int)ctr_pid);
        write_file(machines, "m2", body);
        assert_int_equal(dp_container_resolve("nspawn:m2", &c), -EKEYREJECTED);
        assert_null(c);
        unlink(path);
        snprintf(path, sizeof(path), "%s/m2", machines);
        unlink(path);
        assert_non_null(
                strstr(dp_container_strerror(-EKEYREJECTED), "authentication"));
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "container-unit: needs root (namespaces, "
                                "cgroups, sockets of other users)\n");
                return 77;
        }

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_http_timeout),
                cmocka_unit_test(test_docker),
                cmocka_unit_test(test_incus),
                cmocka_unit_test(test_nspawn),
                cmocka_unit_test(test_bare_and_list),
                cmocka_unit_test(test_pid_and_cgroup),
                cmocka_unit_test(test_check_alive),
                cmocka_unit_test(test_auth),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
