/* SPDX-License-Identifier: MIT */
/* devpassd against hotplugged USB, input and GPU devices that umockdev
 * simulates, granted into a real container with a real device cgroup.
 *
 * Runs under umockdev-wrapper. It builds a testbed, starts devpassd as its
 * child (which inherits the preload and so sees the testbed as /sys and
 * /dev), plugs fixtures in and out with synthetic uevents and looks inside
 * the container with dp-testctr, started without the preload so that it
 * sees the real container. The fixtures' majors have no driver on the test
 * machines, so a granted node opens with ENXIO and a denied one with EPERM
 * (the device cgroup is checked before the driver).
 *
 * devpassd runs in a private mount namespace with its own /run/udev: empty
 * for "--source kernel", with a listening /run/udev/control for "--source
 * udev", so that both of the agent's uevent sources are exercised whatever
 * the host runs. */

#include "agent-driver.h"

#define USB1      "/sys/devices/pci0000:00/0000:00:14.0/usb1"
#define FTDI      USB1 "/1-1"
#define FTDI_TTY  FTDI "/1-1:1.0/ttyUSB0/tty/ttyUSB0"
#define KBD       USB1 "/1-3"
#define KBD_INPUT KBD "/1-3:1.0/0003:046D:C31C.0001/input/input5"

static const node NODE_FTDI = {"/dev/bus/usb/001/005", 189, 4};
static const node NODE_FTDI_NEW = {"/dev/bus/usb/001/009", 189, 8};
static const node NODE_TTY = {"/dev/ttyUSB0", 188, 0};
static const node NODE_CAM[] = {{"/dev/video0", 81, 0}, {"/dev/video1", 81, 1}};
static const node NODE_CAM_USB = {"/dev/bus/usb/001/006", 189, 5};
static const node NODE_KBD_EVENT = {"/dev/input/event5", 13, 69};
static const node NODE_KBD_USB[] = {{"/dev/bus/usb/001/007", 189, 6},
                                    {"/dev/hidraw0", 244, 0}};
static const node NODE_PAD[] = {{"/dev/input/event6", 13, 70},
                                {"/dev/input/js0", 13, 0}};
static const node NODE_PAD_USB = {"/dev/bus/usb/001/008", 189, 7};
static const node NODE_GPU[] = {
        {"/dev/dri/card0", 226, 0},  {"/dev/dri/renderD128", 226, 128},
        {"/dev/nvidia0", 195, 0},    {"/dev/nvidiactl", 195, 255},
        {"/dev/nvidia-uvm", 238, 0}, {"/dev/nvidia-uvm-tools", 238, 1},
};
static const node NODE_HUB = {"/dev/bus/usb/001/001", 189, 0};

driver_state T = {.agent = -1, .control_fd = -1};

/* ---- the agent ---- */

static int write_policy(const char *name, const char *body)
{
        _cleanup_free_ char *path = strjoin_sep("/", T.policy_dir, name, NULL);
        _cleanup_free_ char *text = NULL;

        if (!path || asprintf(&text, body, T.ctr_ref) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, strlen(text), 0644);
}

/* First match decides: the FTDI adapter by its identity (USB device and
 * tty), video nodes by class, keyboards and pads by capability, NVIDIA GPUs.
 * Nothing matches the root hub or the USB devices of camera, keyboard and
 * pad, so their usbfs nodes must stay outside. */
static const char POLICY[] = "[Match]\n"
                             "Vendor=0403\n"
                             "Product=6001\n"
                             "Serial=A50285BI\n"
                             "[Target]\n"
                             "Container=%1$s\n"
                             "\n"
                             "[Match]\n"
                             "Class=video\n"
                             "[Target]\n"
                             "Container=%1$s\n"
                             "\n"
                             "[Match]\n"
                             "Input=keyboard\n"
                             "[Target]\n"
                             "Container=%1$s\n"
                             "\n"
                             "[Match]\n"
                             "Input=joystick\n"
                             "[Target]\n"
                             "Container=%1$s\n"
                             "\n"
                             "[Match]\n"
                             "Class=gpu\n"
                             "Vendor=10de\n"
                             "[Target]\n"
                             "Container=%1$s\n"
                             "[Grant]\n"
                             "Access=rw\n";

/* Added later: the keyboard's USB device, so its whole bundle. */
static const char POLICY_KBD_USB[] = "[Match]\n"
                                     "Class=usb\n"
                                     "Vendor=046d\n"
                                     "Product=c31c\n"
                                     "[Target]\n"
                                     "Container=%s\n";

static bool cond_socket(const void *arg)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", T.sock);
        return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static bool cond_log_has(const void *arg)
{
        _cleanup_free_ char *text = NULL;

        return read_full_file(T.log, &text, NULL) >= 0 && strstr(text, arg);
}

static bool agent_start(void)
{
        char ready[64];
        int fd;

        T.agent = fork();
        if (T.agent < 0)
                return check(false, "fork: %m");
        if (T.agent == 0) {
                /* a driver that dies takes the agent with it */
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                fd = open(T.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                          0644);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                execl(T.devpassd, T.devpassd, "--policy-dir", T.policy_dir,
                      "--state-dir", T.state_dir, "--socket", T.sock,
                      "--log-level", "debug", "--rescan-ms", "200", "--watch",
                      T.ctr_ref, T.tp_v1, T.tp_v2, T.tp_proc, (char *)NULL);
                _exit(127);
        }
        if (!check(wait_for(cond_socket, NULL, START_WAIT_MS),
                   "devpassd answers on its socket"))
                return false;
        snprintf(ready, sizeof(ready), "%s uevents", T.source);
        return check(wait_for(cond_log_has, ready, WAIT_MS),
                     "devpassd listens to the '%s' uevent source", T.source);
}

static void agent_stop(void)
{
        int status;

        if (T.agent <= 0)
                return;
        check(waitpid(T.agent, &status, WNOHANG) == 0,
              "devpassd still running at the end");
        kill(T.agent, SIGTERM);
        while (waitpid(T.agent, &status, 0) < 0 && errno == EINTR)
                ;
        T.agent = -1;
}

/* A private /run for the agent (and a private network namespace, below).
 * The agent's uevent source follows whether a udevd listens on
 * /run/udev/control (agent/hw/sysfs.c): a socket of ours there selects
 * "udev", none selects "kernel", whatever the host runs. A tmpfs over all
 * of /run, not just /run/udev, so that nothing on the host is created, and
 * a host udevd that comes or goes (other tests start and stop one) cannot
 * change it under us. The agent needs nothing else from /run here.
 * umockdev delivers uevents over AF_UNIX datagrams and its sender exits
 * when the receiver's queue is full, which with the default
 * net.unix.max_dgram_qlen (10) happens as soon as the agent is busy
 * granting while a device with many children is announced. The queue
 * length is per network namespace; the agent needs no host network (the
 * container is entered through its own). */
static int private_run(bool udevd)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX,
                                 .sun_path = "/run/udev/control"};

        if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0 ||
            write_string_file("/proc/sys/net/unix/max_dgram_qlen", "4096") <
                    0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") <
                    0 ||
            mkdir("/run/udev", 0755) < 0)
                return -errno;
        if (!udevd)
                return 0;
        /* udevd, to the agent, is a listener there plus a root process of
         * that name (the socket alone outlives a socket-activated udevd) */
        T.udevd_stand_in = fork();
        if (T.udevd_stand_in < 0)
                return -errno;
        if (T.udevd_stand_in == 0) {
                (void)prctl(PR_SET_NAME, "systemd-udevd");
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        T.control_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (T.control_fd < 0 ||
            bind(T.control_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(T.control_fd, 8) < 0)
                return -errno;
        return 0;
}

/* ---- cases ---- */

static const char *const FTDI_OLD[] = {"bus/usb/001/005", "DEVNUM=005",
                                       "MINOR=4\n",       "dev=189:4",
                                       "devnum=5\\n",     NULL};
static const char *const FTDI_NEW[] = {"bus/usb/001/009", "DEVNUM=009",
                                       "MINOR=8\n",       "dev=189:8",
                                       "devnum=9\\n",     NULL};

/* 1: the adapter's usbfs node first; its tty 50 ms after the parent's
 * grant, as a driver binding late would make it. */
static void case_usb_serial(void)
{
        const char *w = "usb serial";
        fixture f = {};

        if (!check(fixture_load("usb-ftdi-serial.umockdev", NULL, NULL, &f) >=
                           0,
                   "load usb-ftdi-serial"))
                return;
        if (plug(&f, NULL, "/ttyUSB0") && expect_granted(&NODE_FTDI, w)) {
                check(cond_absent(&NODE_TTY), "%s: no tty before it exists", w);
                sleep_ms(50);
                if (plug(&f, "/ttyUSB0", NULL))
                        expect_granted(&NODE_TTY, w);
        }
        check(!cond_granted(&NODE_HUB), "%s: the root hub is not granted", w);
        unplug(&f, NULL, true);
        expect_revoked(&NODE_TTY, w);
        expect_revoked(&NODE_FTDI, w);
        fixture_free(&f);
}

/* 2: both capture nodes by class; the camera's USB device is not asked for. */
static void case_webcam(void)
{
        const char *w = "webcam";
        fixture f = {};

        if (!check(fixture_load("usb-webcam.umockdev", NULL, NULL, &f) >= 0,
                   "load usb-webcam"))
                return;
        if (plug(&f, NULL, NULL)) {
                for (size_t i = 0; i < ELEMENTSOF(NODE_CAM); i++)
                        expect_granted(&NODE_CAM[i], w);
                check(cond_absent(&NODE_CAM_USB), "%s: usbfs node stays out",
                      w);
        }
        unplug(&f, NULL, true);
        for (size_t i = 0; i < ELEMENTSOF(NODE_CAM); i++)
                expect_revoked(&NODE_CAM[i], w);
        fixture_free(&f);
}

/* 3: Input=keyboard gives the event node only; a rule for the USB device
 * added at run time brings the rest of its bundle. */
static void case_keyboard(void)
{
        const char *w = "keyboard";
        fixture f = {};

        if (!check(fixture_load("usb-keyboard.umockdev", NULL, NULL, &f) >= 0,
                   "load usb-keyboard"))
                return;
        if (plug(&f, NULL, NULL) &&
            load_ioctl(NODE_KBD_EVENT.path, "usb-keyboard.ioctl") &&
            expect_granted(&NODE_KBD_EVENT, w)) {
                for (size_t i = 0; i < ELEMENTSOF(NODE_KBD_USB); i++)
                        check(cond_absent(&NODE_KBD_USB[i]),
                              "%s: %s stays out under Input=keyboard", w,
                              NODE_KBD_USB[i].path);
                check(write_policy("55-umd-kbd-usb.policy", POLICY_KBD_USB) >=
                              0,
                      "%s: add a Class=usb rule", w);
                for (size_t i = 0; i < ELEMENTSOF(NODE_KBD_USB); i++)
                        expect_granted(&NODE_KBD_USB[i], w);
        }
        unplug(&f, NULL, true);
        expect_revoked(&NODE_KBD_EVENT, w);
        for (size_t i = 0; i < ELEMENTSOF(NODE_KBD_USB); i++)
                expect_revoked(&NODE_KBD_USB[i], w);
        fixture_free(&f);
}

/* 4: a game pad by capability: its event and joystick nodes. input6 has
 * no node of its own, so which of them the first grant sees depends on
 * timing: both are checked as possibly late. */
static void case_gamepad(void)
{
        const char *w = "game pad";
        fixture f = {};

        if (!check(fixture_load("usb-gamepad.umockdev", NULL, NULL, &f) >= 0,
                   "load usb-gamepad"))
                return;
        if (plug(&f, NULL, NULL) &&
            load_ioctl(NODE_PAD[0].path, "xbox-gamepad.ioctl")) {
                for (size_t i = 0; i < ELEMENTSOF(NODE_PAD); i++)
                        expect_granted_late(&NODE_PAD[i], w);
                check(cond_absent(&NODE_PAD_USB), "%s: usbfs node stays out",
                      w);
        }
        unplug(&f, NULL, true);
        for (size_t i = 0; i < ELEMENTSOF(NODE_PAD); i++)
                expect_revoked(&NODE_PAD[i], w);
        fixture_free(&f);
}

/* 5: the GPU brings DRM and NVIDIA nodes; all go with it. The DRM minors
 * appear after the PCI function is granted, as when nvidia-drm binds after
 * nvidia. */
static void case_gpu(void)
{
        const char *w = "nvidia gpu";
        fixture f = {};

        if (!check(fixture_load("nvidia-gpu.umockdev", NULL, NULL, &f) >= 0,
                   "load nvidia-gpu"))
                return;
        if (plug(&f, NULL, "/drm/")) {
                for (size_t i = 2; i < ELEMENTSOF(NODE_GPU); i++)
                        expect_granted(&NODE_GPU[i], w);
                if (plug(&f, "/drm/", NULL))
                        for (size_t i = 0; i < 2; i++)
                                expect_granted_late(&NODE_GPU[i], w);
        }
        unplug(&f, NULL, true);
        for (size_t i = 0; i < ELEMENTSOF(NODE_GPU); i++)
                expect_revoked(&NODE_GPU[i], w);
        fixture_free(&f);
}

/* 6: the adapter comes back on the same port with another device number:
 * the grant follows the device (same syspath), not the old node. Once with
 * its unplug seen, once with the unplug lost. */
static void case_replug(void)
{
        const char *w = "re-plug";
        fixture a = {}, b = {};

        if (!check(fixture_load("usb-ftdi-serial.umockdev", NULL, NULL, &a) >=
                                   0 &&
                           fixture_load("usb-ftdi-serial.umockdev", FTDI_OLD,
                                        FTDI_NEW, &b) >= 0,
                   "load usb-ftdi-serial with devnum 5 and 9"))
                goto out;
        if (plug(&a, NULL, NULL) && expect_granted(&NODE_FTDI, w)) {
                unplug(&a, NULL, true);
                if (plug(&b, NULL, NULL) && expect_granted(&NODE_FTDI_NEW, w)) {
                        expect_revoked(&NODE_FTDI, w);
                        expect_granted(&NODE_TTY, w);
                }
                /* the unplug is lost: only the add tells of the change */
                unplug(&b, NULL, false);
                if (plug(&a, NULL, NULL) && expect_granted(&NODE_FTDI, w)) {
                        expect_revoked(&NODE_FTDI_NEW, w);
                        expect_granted(&NODE_TTY, w);
                }
        }
        unplug(&a, NULL, true);
        expect_revoked(&NODE_FTDI, w);
        expect_revoked(&NODE_TTY, w);
out:
        fixture_free(&a);
        fixture_free(&b);
}

static json_object *ctl_json(const char *verb, const char *arg)
{
        _cleanup_free_ char *out = NULL;
        int r;

        r = RUN(true, false, &out, (char *)T.devpassctl, "--socket", T.sock,
                "--state-dir", T.state_dir, T.tp_proc, (char *)verb, "--json",
                (char *)arg);
        if (r != 0) {
                check(false, "devpassctl %s %s exits %d", verb, strempty(arg),
                      r);
                return NULL;
        }
        return json_tokener_parse(out);
}

static const char *jstr(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v)
                                                     : NULL;
}

static bool jarray_has_str(json_object *o, const char *key, const char *want)
{
        json_object *a;

        if (!json_object_object_get_ex(o, key, &a) ||
            !json_object_is_type(a, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++)
                if (streq(strempty(json_object_get_string(
                                  json_object_array_get_idx(a, i))),
                          want))
                        return true;
        return false;
}

static bool jnodes_have(json_object *dev, const node *n)
{
        json_object *a;

        if (!json_object_object_get_ex(dev, "nodes", &a))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *x = json_object_array_get_idx(a, i), *mj, *mn;

                if (streq(strempty(jstr(x, "path")), n->path) &&
                    streq(strempty(jstr(x, "type")), "c") &&
                    json_object_object_get_ex(x, "major", &mj) &&
                    json_object_object_get_ex(x, "minor", &mn) &&
                    json_object_get_int(mj) == (int)n->major &&
                    json_object_get_int(mn) == (int)n->minor)
                        return true;
        }
        return false;
}

static json_object *jfind_device(json_object *list, const char *syspath)
{
        for (size_t i = 0; list && i < json_object_array_length(list); i++) {
                json_object *d = json_object_array_get_idx(list, i);

                if (streq(strempty(jstr(d, "syspath")), syspath))
                        return d;
        }
        return NULL;
}

/* 7: what devpassctl shows about the plugged devices. */
static void case_ctl(void)
{
        const char *w = "devpassctl";
        fixture f = {}, k = {};
        json_object *l = NULL, *e = NULL, *d;

        if (!check(fixture_load("usb-ftdi-serial.umockdev", NULL, NULL, &f) >=
                                   0 &&
                           fixture_load("usb-keyboard.umockdev", NULL, NULL,
                                        &k) >= 0,
                   "load usb-ftdi-serial and usb-keyboard"))
                goto out;
        if (!plug(&f, NULL, NULL) || !plug(&k, NULL, NULL) ||
            !load_ioctl(NODE_KBD_EVENT.path, "usb-keyboard.ioctl") ||
            !expect_granted(&NODE_TTY, w) ||
            !expect_granted(&NODE_KBD_EVENT, w))
                goto out;

        l = ctl_json("devices", NULL);
        d = jfind_device(l, FTDI);
        check(d && streq(strempty(jstr(d, "class")), "usb") &&
                      streq(strempty(jstr(d, "vendor")), "0403") &&
                      streq(strempty(jstr(d, "product")), "6001") &&
                      streq(strempty(jstr(d, "serial")), "A50285BI") &&
                      jnodes_have(d, &NODE_FTDI) && jnodes_have(d, &NODE_TTY),
              "%s: devices --json lists the adapter with its bundle", w);
        d = jfind_device(l, KBD_INPUT);
        check(d && jarray_has_str(d, "input", "keyboard") &&
                      jnodes_have(d, &NODE_KBD_EVENT),
              "%s: devices --json: input5 has \"input\": [\"keyboard\"]", w);
        d = jfind_device(l, KBD);
        check(d && jnodes_have(d, &NODE_KBD_USB[0]) &&
                      jnodes_have(d, &NODE_KBD_USB[1]) &&
                      jnodes_have(d, &NODE_KBD_EVENT),
              "%s: devices --json: the keyboard's USB bundle", w);

        e = ctl_json("explain", NODE_TTY.path);
        check(e && streq(strempty(jstr(e, "device")), FTDI_TTY) &&
                      streq(strempty(jstr(e, "action")), "allow") &&
                      strstr(strempty(jstr(e, "rule")), "50-umd.policy:") &&
                      jarray_has_str(e, "containers", T.ctr_ref),
              "%s: explain %s --json: rule, action and %s", w, NODE_TTY.path,
              T.ctr_ref);
out:
        json_object_put(l);
        json_object_put(e);
        unplug(&k, NULL, true);
        unplug(&f, NULL, true);
        expect_revoked(&NODE_KBD_EVENT, w);
        expect_revoked(&NODE_TTY, w);
        fixture_free(&f);
        fixture_free(&k);
}

static void usage(void)
{
        fprintf(stderr,
                "usage: agent-driver --source kernel|udev --ctr PID --work DIR "
                "--fixtures DIR --devpassd P --devpassctl P --harness P "
                "[--cgroup-v1 DIR] [--cgroup-v2 DIR]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"source", required_argument, NULL, 's'},
                {"ctr", required_argument, NULL, 'c'},
                {"work", required_argument, NULL, 'w'},
                {"fixtures", required_argument, NULL, 'f'},
                {"devpassd", required_argument, NULL, 'd'},
                {"devpassctl", required_argument, NULL, 'C'},
                {"harness", required_argument, NULL, 'H'},
                {"cgroup-v1", required_argument, NULL, '1'},
                {"cgroup-v2", required_argument, NULL, '2'},
                {},
        };
        const char *preload = getenv("LD_PRELOAD");
        _cleanup_free_ char *proc = NULL;
        fixture host = {};
        int c, r;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                switch (c) {
                case 's':
                        T.source = optarg;
                        break;
                case 'c':
                        T.ctr = atoi(optarg);
                        break;
                case 'w':
                        T.work = optarg;
                        break;
                case 'f':
                        T.fixtures = optarg;
                        break;
                case 'd':
                        T.devpassd = optarg;
                        break;
                case 'C':
                        T.devpassctl = optarg;
                        break;
                case 'H':
                        T.harness = optarg;
                        break;
                case '1':
                        T.tp_v1 =
                                strjoin_sep("=", "--test-path",
                                            "cgroup-v1-devices", optarg, NULL);
                        break;
                case '2':
                        T.tp_v2 = strjoin_sep("=", "--test-path", "cgroup-v2",
                                              optarg, NULL);
                        break;
                default:
                        usage();
                }
        if (!T.source || T.ctr <= 0 || !T.work || !T.fixtures || !T.devpassd ||
            !T.devpassctl || !T.harness ||
            (!streq(T.source, "kernel") && !streq(T.source, "udev")))
                usage();
        if (!preload || !strstr(preload, "libumockdev-preload")) {
                fprintf(stderr, "SKIP: not running under umockdev-wrapper\n");
                return 77;
        }
        snprintf(T.ctr_ref, sizeof(T.ctr_ref), "pid:%d", T.ctr);
        T.policy_dir = strjoin_sep("/", T.work, "policy", NULL);
        T.state_dir = strjoin_sep("/", T.work, "state", NULL);
        T.sock = strjoin_sep("/", T.work, "devpass.sock", NULL);
        T.log = strjoin_sep("/", T.work, "devpassd.log", NULL);
        proc = strjoin_sep("/", T.fixtures, "nvidia-proc", NULL);
        if (!T.policy_dir || !T.state_dir || !T.sock || !T.log || !proc ||
            mkdir_p(T.policy_dir, 0755) < 0 || mkdir_p(T.state_dir, 0700) < 0)
                return 1;
        T.tp_proc = strjoin_sep("=", "--test-path", "proc-root", proc, NULL);
        if (!T.tp_v1)
                T.tp_v1 = strdup("--test-path=cgroup-v1-devices=");
        if (!T.tp_v2)
                T.tp_v2 = strdup("--test-path=cgroup-v2=");
        if (!T.tp_proc || !T.tp_v1 || !T.tp_v2)
                return 1;
        r = private_run(streq(T.source, "udev"));
        if (r < 0) {
                fprintf(stderr, "private /run: %s\n", strerror(-r));
                return 1;
        }

        /* the controller and root hub are there before the agent starts */
        T.tb = umockdev_testbed_new();
        if (!T.tb || fixture_load("usb-host.umockdev", NULL, NULL, &host) < 0 ||
            !plug(&host, NULL, NULL) ||
            write_policy("50-umd.policy", POLICY) < 0) {
                fprintf(stderr, "testbed or policy setup failed\n");
                return 1;
        }
        if (agent_start()) {
                case_usb_serial();
                case_webcam();
                case_keyboard();
                case_gamepad();
                case_gpu();
                case_replug();
                case_ctl();
        }
        agent_stop();
        fixture_free(&host);
        g_object_unref(T.tb);
        safe_close(T.control_fd);
        if (T.udevd_stand_in > 0) {
                kill(T.udevd_stand_in, SIGKILL);
                (void)waitpid(T.udevd_stand_in, NULL, 0);
        }
        printf("agent-driver [%s]: %u passed, %u failed, %u expected "
               "failures\n",
               T.source, T.passed, T.failed, T.xfailed);
        if (getenv("AGENT_LOG_COPY")) {
                _cleanup_free_ char *text = NULL, *dst = NULL;

                dst = strjoin_sep("", getenv("AGENT_LOG_COPY"), "-", T.source,
                                  ".log", NULL);
                if (dst && read_full_file(T.log, &text, NULL) >= 0)
                        (void)write_file_atomic(dst, text, strlen(text), 0644);
        }
        if (T.failed) {
                _cleanup_free_ char *text = NULL;

                if (read_full_file(T.log, &text, NULL) >= 0) {
                        size_t n = strlen(text);
                        fprintf(stderr, "---- devpassd log (tail) ----\n%s\n",
                                text + (n > 12000 ? n - 12000 : 0));
                }
        }
        free(T.policy_dir);
        free(T.state_dir);
        free(T.sock);
        free(T.log);
        return T.failed ? 1 : 0;
}
