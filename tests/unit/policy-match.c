/* SPDX-License-Identifier: MIT */
/* Matcher tests (every [Match] key, lists, negation, globs, order, deny),
 * container references, and the drop-in loader against real temp dirs. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "devpass/policy.h"

typedef struct mcase {
        const char *match; /* [Match] body */
        bool expect;
} mcase;

static char **strv_make(const char *first, ...)
{
        char **l = calloc(1, sizeof(char *));
        va_list ap;

        assert_non_null(l);
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&l, s), 0);
        va_end(ap);
        return l;
}

static dp_device *make_gpu(void)
{
        dp_device *d = dp_device_new();

        assert_non_null(d);
        d->syspath = strdup("/sys/devices/pci0000:00/0000:00:06.0");
        d->subsystem = strdup("pci");
        d->klass = DP_CLASS_GPU;
        d->name = strdup("0000:00:06.0");
        d->driver = strdup("nvidia");
        d->drivers = strv_make("nvidia", "pcieport", NULL);
        d->has_vendor = d->has_product = true;
        d->vendor = 0x10de;
        d->product = 0x2330;
        d->pci = strdup("0000:00:06.0");
        d->properties =
                strv_make("PCI_CLASS=30200", "ID_PATH=pci-0000:00:06.0", NULL);
        d->attributes = strv_make("class=0x030200", "numa_node=-1", NULL);
        d->tags = strv_make("seat", "uaccess", NULL);
        assert_int_equal(dp_device_add_node(d, "/dev/nvidia0", 'c', 195, 0), 0);
        assert_int_equal(dp_device_add_node(d, "/dev/nvidiactl", 'c', 195, 255),
                         0);
        assert_int_equal(dp_device_add_node(d, "/dev/dri/card0", 'c', 226, 0),
                         0);
        return d;
}

static dp_device *make_tty(void)
{
        dp_device *d = dp_device_new();

        assert_non_null(d);
        d->subsystem = strdup("tty");
        d->klass = DP_CLASS_TTY;
        d->name = strdup("ttyUSB0");
        /* the tty itself has no driver: ftdi_sio sits on the parent */
        d->drivers = strv_make("ftdi_sio", "usb", "xhci_hcd", NULL);
        d->has_vendor = d->has_product = true;
        d->vendor = 0x0403;
        d->product = 0x6001;
        d->serial = strdup("FT4XYZ12");
        assert_int_equal(dp_device_add_node(d, "/dev/ttyUSB0", 'c', 188, 0), 0);
        return d;
}

static dp_device *make_nic(void)
{
        dp_device *d = dp_device_new();

        assert_non_null(d);
        d->subsystem = strdup("net");
        d->klass = DP_CLASS_NET;
        d->name = strdup("eth1");
        d->driver = strdup("virtio_net");
        d->mac = strdup("52:54:00:AB:cd:01");
        d->perm_mac = strdup("52:54:00:00:00:99");
        return d;
}

static dp_device *make_joystick(void)
{
        dp_device *d = dp_device_new();

        assert_non_null(d);
        d->subsystem = strdup("input");
        d->klass = DP_CLASS_INPUT;
        d->name = strdup("input7");
        d->input = DP_INPUT_JOYSTICK | DP_INPUT_KEY;
        d->has_vendor = true;
        d->vendor = 0x045e;
        assert_int_equal(
                dp_device_add_node(d, "/dev/input/event7", 'c', 13, 71), 0);
        assert_int_equal(dp_device_add_node(d, "/dev/input/js0", 'c', 13, 0),
                         0);
        return d;
}

static void run_cases(const dp_device *d, const mcase *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_policy_free_ dp_policy *p = dp_policy_new();
                _cleanup_strv_free_ char **trace = NULL;
                _cleanup_free_ char *text =
                        strjoin_sep("", "[Match]\n", cases[i].match,
                                    "\n[Target]\nContainer=c\n", NULL);
                dp_diag_list diags = {0};
                const dp_rule *r;
                int q;

                assert_non_null(text);
                q = dp_policy_parse_buffer(p, "t.policy", text, strlen(text),
                                           &diags);
                for (size_t k = 0; k < diags.n; k++)
                        print_error("%s\n", diags.items[k].message);
                assert_int_equal(q, 0);
                r = dp_policy_match(p, d, &trace);
                assert_int_equal(strv_length(trace), 1);
                if ((r != NULL) != cases[i].expect)
                        print_error("case '%s': %s\n", cases[i].match,
                                    trace[0]);
                assert_int_equal(r != NULL, cases[i].expect);
                assert_true(startswith(trace[0], cases[i].expect
                                                         ? "t.policy:1: yes: "
                                                         : "t.policy:1: no: "));
                /* the trace names the key that decided */
                if (!cases[i].expect)
                        assert_non_null(strstr(trace[0], "="));
        }
}

static void test_gpu_keys(void **state)
{
        _cleanup_device_free_ dp_device *d = make_gpu();
        static const mcase cases[] = {
                {"Class=gpu", true},
                {"Class=usb net", false},
                {"Class=usb gpu", true},
                {"Class=!gpu", false},
                {"Class=!usb input", true},
                {"Subsystem=pci", true},
                {"Subsystem=usb", false},
                {"Name=0000:00:0?.0", true},
                {"Name=card*", false},
                {"Node=/dev/dri/card*", true},
                {"Node=/dev/nvidia*", true},
                {"Node=/dev/card*", false}, /* "*" does not cross "/" */
                {"Node=/dev/tty*", false},
                {"Node=!/dev/tty*", true},
                {"Driver=nvidia", true},
                {"Driver=pcieport", true}, /* a parent's driver */
                {"Driver=nouveau", false},
                {"Driver=!nouveau", true},
                {"Vendor=10de", true},
                {"Vendor=0x10DE", true},
                {"Vendor=8086 10de", true},
                {"Vendor=!8086 1002", true},
                {"Vendor=!10de", false},
                {"Vendor=8086", false},
                {"Product=2330", true},
                {"Product=2331", false},
                {"PCI=0000:00:06.*", true},
                {"PCI=0000:01:*", false},
                {"Serial=*", false}, /* no serial at all */
                {"Serial=!*", true},
                {"MAC=*", false},
                {"Input=keyboard", false},
                {"Property=PCI_CLASS=3*", true},
                {"Property=PCI_CLASS=3*\nProperty=ID_PATH=pci-*", true},
                {"Property=PCI_CLASS=3*\nProperty=ID_PATH=usb-*", false},
                {"Property=MISSING=*", false},
                {"Property=!MISSING=*", true},
                {"Property=!PCI_CLASS=30200", false},
                {"Attribute=class=0x03*", true},
                {"Attribute=class=0x03*\nAttribute=numa_node=-1", true},
                {"Attribute=class=0x02*", false},
                {"Tag=uaccess", true},
                {"Tag=foo seat", true},
                {"Tag=foo", false},
                {"Tag=!foo", true},
                {"Class=gpu\nVendor=10de\nDriver=nvidia", true},
                {"Class=gpu\nVendor=10de\nDriver=amdgpu", false},
        };

        run_cases(d, cases, ELEMENTSOF(cases));
}

static void test_tty_keys(void **state)
{
        _cleanup_device_free_ dp_device *d = make_tty();
        static const mcase cases[] = {
                {"Class=tty", true},
                {"Name=ttyUSB*", true},
                {"Name=ttyACM*", false},
                {"Node=/dev/ttyUSB?", true},
                {"Driver=ftdi_sio", true},
                {"Driver=xhci_*", true},
                {"Driver=cp210x", false},
                {"Vendor=0403\nProduct=6001", true},
                {"Vendor=0403\nProduct=6015", false},
                {"Serial=FT4XYZ12", true},
                {"Serial=FT4*", true},
                {"Serial=ft4xyz12", false}, /* serials are case-sensitive */
                {"Serial=A B FT4XYZ12", true},
                {"PCI=*", false},
                {"Property=ID_SERIAL=*", false},
        };

        run_cases(d, cases, ELEMENTSOF(cases));
}

static void test_nic_keys(void **state)
{
        _cleanup_device_free_ dp_device *d = make_nic();
        static const mcase cases[] = {
                {"Class=net", true},
                {"MAC=52:54:00:ab:cd:01", true}, /* case-insensitive */
                {"MAC=52:54:00:AB:*", true},
                {"MAC=52:54:00:00:00:99", true}, /* the permanent address */
                {"MAC=aa:*", false},
                {"MAC=!52:54:00:00:00:99", false},
                {"MAC=!aa:* bb:*", true},
                {"Driver=virtio_net", true},
                {"Vendor=1af4", false}, /* no vendor id */
                {"Vendor=!1af4", true},
                {"Node=/dev/*", false}, /* NICs have no node */
        };

        run_cases(d, cases, ELEMENTSOF(cases));
}

static void test_input_keys(void **state)
{
        _cleanup_device_free_ dp_device *d = make_joystick();
        static const mcase cases[] = {
                {"Input=joystick", true},
                {"Input=keyboard mouse", false},
                {"Input=mouse key", true},
                {"Input=!keyboard", true},
                {"Input=!keyboard joystick", false},
                {"Class=input\nInput=joystick\nVendor=045e", true},
                {"Node=/dev/input/js*", true},
                {"Node=/dev/input/event1?", false},
                {"Driver=*", false}, /* no driver anywhere */
        };

        run_cases(d, cases, ELEMENTSOF(cases));
}

static dp_policy *parse_ok(const char *text)
{
        dp_policy *p = dp_policy_new();
        dp_diag_list diags = {0};

        assert_non_null(p);
        assert_int_equal(dp_policy_parse_buffer(p, "t.policy", text,
                                                strlen(text), &diags),
                         0);
        return p;
}

static void test_first_match_and_deny(void **state)
{
        _cleanup_device_free_ dp_device *gpu = make_gpu();
        _cleanup_device_free_ dp_device *tty = make_tty();
        _cleanup_policy_free_ dp_policy *p = parse_ok(
                "[Match]\nClass=usb\n[Target]\nContainer=a\n"     /* line 1 */
                "[Match]\nVendor=0403\n[Grant]\nAction=deny\n"    /* line 5 */
                "[Match]\nClass=tty gpu\n[Target]\nContainer=b\n" /* 9 */
                "[Match]\nClass=gpu\n[Target]\nContainer=c\n");   /* 13 */
        _cleanup_strv_free_ char **trace = NULL;
        const dp_rule *r;

        r = dp_policy_match(p, gpu, &trace);
        assert_non_null(r);
        assert_int_equal(dp_rule_line(r), 9); /* first match wins over 13 */
        assert_string_equal(dp_rule_containers(r)[0], "b");
        assert_int_equal(strv_length(trace), 3);
        assert_string_equal(trace[0],
                            "t.policy:1: no: Class=usb does not match gpu");
        assert_string_equal(trace[1],
                            "t.policy:5: no: Vendor=0403 does not match 10de");
        assert_string_equal(trace[2], "t.policy:9: yes: Class=tty gpu holds");

        strv_free(TAKE_PTR(trace));
        r = dp_policy_match(p, tty, &trace);
        assert_non_null(r);
        assert_int_equal(dp_rule_line(r), 5); /* deny ends evaluation */
        assert_int_equal(dp_rule_grant(r)->action, DP_ACTION_DENY);
        assert_int_equal(strv_length(trace), 2);
        assert_string_equal(trace[1], "t.policy:5: yes: Vendor=0403 holds "
                                      "(deny)");

        /* no trace requested: same verdict */
        assert_ptr_equal(dp_policy_match(p, tty, NULL), r);
}

static void test_trace_wording(void **state)
{
        _cleanup_device_free_ dp_device *gpu = make_gpu();
        _cleanup_policy_free_ dp_policy *p =
                parse_ok("[Match]\nVendor=!10de\n[Target]\nContainer=a\n"
                         "[Match]\nSerial=x\n[Target]\nContainer=a\n"
                         "[Match]\nProperty=NOPE=1\n[Target]\nContainer=a\n"
                         "[Match]\nClass=gpu\nVendor=10de\nTag=seat\n"
                         "[Target]\nContainer=a\n");
        _cleanup_strv_free_ char **trace = NULL;

        assert_non_null(dp_policy_match(p, gpu, &trace));
        assert_int_equal(strv_length(trace), 4);
        assert_string_equal(trace[0], "t.policy:1: no: Vendor=!10de excludes "
                                      "10de");
        assert_string_equal(trace[1],
                            "t.policy:5: no: Serial=x does not match (no "
                            "serial)");
        assert_string_equal(trace[2], "t.policy:9: no: Property=NOPE=1: "
                                      "property NOPE is not set");
        assert_string_equal(trace[3], "t.policy:13: yes: all 3 keys hold");
}

static void test_container_refs(void **state)
{
        static const char *const good[] = {
                "ml",
                "lxc:ml-1",
                "incus:a.b",
                "lxd:x_y",
                "nspawn:m",
                "docker:c0",
                "podman:p",
                "pid:1",
                "pid:4242",
                "cgroup:/lxc.payload.ml",
                "cgroup:machine.slice/m.scope", /* relative to the root */
                NULL,
        };
        static const char *const bad[] = {
                "",
                "lxc:",
                "foo:bar",
                "pid:0",
                "pid:-1",
                "pid:x",
                "pid:01",
                "cgroup:/",
                "cgroup:/a/../b",
                "lxc:a+b",
                "w\xc3\xa9"
                "b",
                "a b",
                "a/b",
                "ml-*",
                "lxc:ml-*",
                NULL,
        };
        char longname[300];

        for (size_t i = 0; good[i]; i++) {
                assert_int_equal(dp_container_ref_validate(good[i], false), 0);
                assert_int_equal(dp_container_ref_validate(good[i], true), 0);
        }
        for (size_t i = 0; bad[i]; i++)
                assert_int_equal(dp_container_ref_validate(bad[i], false),
                                 -EINVAL);
        assert_int_equal(dp_container_ref_validate("lxc:ml-*", true), 0);
        assert_int_equal(dp_container_ref_validate("cgroup:/lxc.*", true), 0);
        memset(longname, 'a', 253);
        longname[253] = 0;
        assert_int_equal(dp_container_ref_validate(longname, false), 0);
        longname[253] = 'a';
        longname[254] = 0;
        assert_int_equal(dp_container_ref_validate(longname, false), -EINVAL);

        assert_true(dp_container_ref_match("ml-*", "lxc:ml-1"));
        assert_true(dp_container_ref_match("ml-*", "docker:ml-2"));
        assert_true(dp_container_ref_match("ml-*", "ml-3"));
        assert_true(dp_container_ref_match("lxc:ml-*", "lxc:ml-1"));
        assert_false(dp_container_ref_match("lxc:ml-*", "incus:ml-1"));
        assert_false(dp_container_ref_match("lxc:ml-*", "ml-1"));
        assert_false(dp_container_ref_match("ml-*", "lxc:web"));
        assert_false(dp_container_ref_match("ml-*", "pid:12"));
        assert_true(dp_container_ref_match("pid:12", "pid:12"));
        assert_false(dp_container_ref_match("pid:12", "pid:123"));
        assert_true(dp_container_ref_match("cgroup:/lxc.payload.*",
                                           "cgroup:/lxc.payload.web"));
        assert_false(dp_container_ref_match("cgroup:/lxc.payload.*",
                                            "cgroup:/lxc.payload.web/sub"));
        assert_false(dp_container_ref_match("lxc:ml-*", "lxc:bad name"));
        /* resolution's canonical cgroup form is relative: one grammar,
         * so an absolute glob matches it */
        assert_true(dp_container_ref_match("cgroup:/lxc.payload.*",
                                           "cgroup:lxc.payload.web"));
        assert_true(dp_container_ref_match("cgroup:lxc.payload.*",
                                           "cgroup:/lxc.payload.web"));
        /* a name outside the grammar is an error of its own, not a
         * reference that merely matches nothing */
        assert_int_equal(dp_ref_split("lxc:a+b", false, NULL), -EILSEQ);
        assert_int_equal(dp_ref_split("a+b", true, NULL), -EILSEQ);
        assert_int_equal(dp_ref_split("foo:a", false, NULL), -EPROTONOSUPPORT);
        assert_int_equal(dp_ref_split("a/b", false, NULL), -EINVAL);
        /* the CLI's matcher: what a user typed names a canonical ref */
        assert_true(dp_container_ref_names("web", "lxc:web"));
        assert_true(dp_container_ref_names("lxc:web", "lxc:web"));
        assert_false(dp_container_ref_names("docker:web", "lxc:web"));
        assert_false(dp_container_ref_names("web*", "lxc:web"));
        assert_true(dp_container_ref_names("cgroup:/a/b", "cgroup:a/b"));
        assert_false(dp_container_ref_names("pid:1", "pid:12"));
}

/* ---- loader ---- */

static char tmp_root[64];

static void write_file(const char *dir, const char *name, const char *text,
                       unsigned mode)
{
        _cleanup_free_ char *path = strjoin_sep("/", dir, name, NULL);

        assert_non_null(path);
        assert_int_equal(write_file_atomic(path, text, strlen(text), mode), 0);
        assert_int_equal(chmod(path, mode), 0);
}

static char *sub(const char *name)
{
        char *p = strjoin_sep("/", tmp_root, name, NULL);

        assert_non_null(p);
        return p;
}

static int setup_tmp(void **state)
{
        snprintf(tmp_root, sizeof(tmp_root), "/tmp/dpt-policy-%d-XXXXXX",
                 (int)getpid());
        return mkdtemp(tmp_root) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
        char cmd[128];

        /* only our own mkdtemp() dir */
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmp_root);
        return system(cmd) == 0 ? 0 : -1;
}

#define RULE_FOR(cls, ctr) \
        "[Match]\nClass=" cls "\n[Target]\nContainer=" ctr "\n"

static void test_dropin_override_and_order(void **state)
{
        _cleanup_free_ char *a = sub("usr"), *b = sub("etc"), *c = sub("run"),
                            *missing = sub("missing");
        char *dirs[] = {a, missing, b, c, NULL};
        _cleanup_policy_free_ dp_policy *p = NULL;
        dp_diag_list diags = {0};

        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(mkdir(b, 0755), 0);
        assert_int_equal(mkdir(c, 0755), 0);
        write_file(a, "50-gpu.policy", RULE_FOR("gpu", "from-usr"), 0644);
        write_file(a, "9-first.policy", RULE_FOR("usb", "nine"), 0644);
        write_file(b, "50-gpu.policy", RULE_FOR("gpu", "from-etc"), 0644);
        write_file(b, "100-last.policy", RULE_FOR("net", "hundred"), 0644);
        write_file(b, "README", "not policy", 0644);
        write_file(b, ".hidden.policy", "junk", 0644);
        write_file(c, "10-ten.policy", RULE_FOR("tty", "ten"), 0644);

        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), 0);
        assert_int_equal(diags.n, 0);
        assert_int_equal(dp_policy_n_rules(p), 4);
        /* version order across dirs: 9 < 10 < 50 < 100 */
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 0))[0],
                            "nine");
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 1))[0], "ten");
        /* /etc's 50-gpu.policy replaced /usr's */
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 2))[0],
                            "from-etc");
        assert_string_equal(dp_rule_source(dp_policy_rule(p, 2)),
                            "50-gpu.policy:1");
        assert_true(startswith(dp_rule_file(dp_policy_rule(p, 2)), b));
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 3))[0],
                            "hundred");
        dp_policy_free(TAKE_PTR(p));

        /* /run masks the file with a symlink to /dev/null */
        {
                _cleanup_free_ char *l =
                        strjoin_sep("/", c, "50-gpu.policy", NULL);

                assert_int_equal(symlink("/dev/null", l), 0);
        }
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), 0);
        assert_int_equal(dp_policy_n_rules(p), 3);
        for (size_t i = 0; i < 3; i++)
                assert_false(startswith(dp_rule_source(dp_policy_rule(p, i)),
                                        "50-gpu"));
}

static void test_dropin_fail_closed(void **state)
{
        _cleanup_free_ char *a = sub("fc"), *d = sub("fc/sub.policy");
        char *dirs[] = {a, NULL};
        dp_policy *p = (dp_policy *)0x1; /* must stay untouched */
        dp_diag_list diags = {0};

        assert_int_equal(mkdir(a, 0755), 0);
        write_file(a, "10-ok.policy", RULE_FOR("gpu", "ok"), 0644);
        write_file(a, "20-bad.policy", "[Match]\nClass=gpu\nMode=1\n", 0644);
        write_file(a, "30-bad.policy", "[Frob]\n", 0644);
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), -EINVAL);
        assert_ptr_equal(p, (dp_policy *)0x1);
        assert_int_equal(diags.n, 2);
        assert_non_null(strstr(diags.items[0].message,
                               "20-bad.policy:3:1: error: unknown key 'Mode'"));
        assert_non_null(strstr(diags.items[1].message,
                               "30-bad.policy:1:1: error: unknown section"));
        dp_diag_list_clear(&diags);

        /* a directory named *.policy is not a regular file */
        write_file(a, "20-bad.policy", RULE_FOR("gpu", "ok"), 0644);
        write_file(a, "30-bad.policy", RULE_FOR("gpu", "ok"), 0644);
        assert_int_equal(mkdir(d, 0755), 0);
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), -EINVAL);
        assert_int_equal(diags.n, 1);
        assert_non_null(strstr(diags.items[0].message, "not a regular file"));
        dp_diag_list_clear(&diags);
        assert_int_equal(rmdir(d), 0);

        /* world-writable */
        write_file(a, "40-ww.policy", RULE_FOR("gpu", "ok"), 0666);
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), -EINVAL);
        assert_int_equal(diags.n, 1);
        assert_non_null(strstr(diags.items[0].message, "world-writable"));
        dp_diag_list_clear(&diags);
        {
                _cleanup_free_ char *ww =
                        strjoin_sep("/", a, "40-ww.policy", NULL);

                assert_int_equal(chmod(ww, 0644), 0);
        }
        assert_ptr_equal(p, (dp_policy *)0x1);
        p = NULL;
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), 0);
        assert_int_equal(dp_policy_n_rules(p), 4);
        dp_policy_free(p);
}

static void test_dropin_symlink_owner(void **state)
{
        _cleanup_free_ char *a = sub("sl"), *t = sub("sl-target.txt"),
                            *l = sub("sl/50-link.policy");
        char *dirs[] = {a, NULL};
        dp_policy *p = NULL;
        dp_diag_list diags = {0};

        if (geteuid() != 0) {
                print_message("skipping: chown to another uid needs root\n");
                skip();
        }
        assert_int_equal(mkdir(a, 0755), 0);
        write_file(tmp_root, "sl-target.txt", RULE_FOR("gpu", "x"), 0644);
        assert_int_equal(symlink(t, l), 0);
        /* owned by root: fine */
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), 0);
        assert_int_equal(dp_policy_n_rules(p), 1);
        dp_policy_free(TAKE_PTR(p));
        /* owned by nobody: refused */
        assert_int_equal(chown(t, 65534, 65534), 0);
        assert_int_equal(dp_policy_load_dirs(dirs, &p, &diags), -EINVAL);
        assert_null(p);
        assert_int_equal(diags.n, 1);
        assert_non_null(strstr(diags.items[0].message, "not owned by root"));
        dp_diag_list_clear(&diags);
}

static void test_load_paths(void **state)
{
        _cleanup_free_ char *a = sub("lp"), *f = sub("lp/2-b.policy"),
                            *nope = sub("lp/none.policy");
        char *paths[] = {f, a, NULL};
        char *bad[] = {nope, NULL};
        dp_policy *p = NULL;
        dp_diag_list diags = {0};

        assert_int_equal(mkdir(a, 0755), 0);
        write_file(a, "10-c.policy", RULE_FOR("gpu", "c"), 0644);
        write_file(a, "2-b.policy", RULE_FOR("gpu", "b"), 0644);
        assert_int_equal(dp_policy_load_paths(paths, &p, &diags), 0);
        /* the explicit file first, then the dir's files in version order */
        assert_int_equal(dp_policy_n_rules(p), 3);
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 0))[0], "b");
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 1))[0], "b");
        assert_string_equal(dp_rule_containers(dp_policy_rule(p, 2))[0], "c");
        dp_policy_free(TAKE_PTR(p));

        assert_int_equal(dp_policy_load_paths(bad, &p, &diags), -EINVAL);
        assert_null(p);
        assert_int_equal(diags.n, 1);
        assert_int_equal(diags.items[0].line, 0);
        assert_non_null(strstr(diags.items[0].message, "none.policy: error: "));
        dp_diag_list_clear(&diags);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gpu_keys),
                cmocka_unit_test(test_tty_keys),
                cmocka_unit_test(test_nic_keys),
                cmocka_unit_test(test_input_keys),
                cmocka_unit_test(test_first_match_and_deny),
                cmocka_unit_test(test_trace_wording),
                cmocka_unit_test(test_container_refs),
                cmocka_unit_test(test_dropin_override_and_order),
                cmocka_unit_test(test_dropin_fail_closed),
                cmocka_unit_test(test_dropin_symlink_owner),
                cmocka_unit_test(test_load_paths),
        };

        return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
