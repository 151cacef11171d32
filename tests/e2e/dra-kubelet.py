#!/usr/bin/python3
# A fake kubelet and API server for devpass-kubelet-plugin, protocol-exact:
# the gRPC stubs are generated now from the plugin's own .proto files
# (grpc_tools), the registration socket is dialled as the kubelet's plugin
# watcher does, and claims are served by a loopback HTTP stub in the
# ResourceClaim shape of resource.k8s.io/v1.
#   dra-kubelet.py PROTO_DIR WORK_DIR CMD...
# CMD runs the plugin (devpass-kubelet-plugin, or devpassd --kubelet-plugin)
# with its sockets under $KUBELET_DIR/plugins_registry and
# $KUBELET_DIR/plugins; it finds the API server stub in $DEVPASS_KUBE_API.
# CDI_DIR holds devpassd's specs, EXPECT_DEVICE is the DRA name of the
# device it exports, EXPECT_PATH that device's node in the spec (HOST_LOOP
# the host's loop device, if it differs), DISK its backing file (re-plugged
# on a free loop device, whose path goes to WORK_DIR/loop); CLAIM_CHECK,
# if set, is run with the per-claim CDI id after the first Prepare.
import http.server
import json
import os
import subprocess
import sys
import threading
import time

proto_dir, work = sys.argv[1], sys.argv[2]
plugin_cmd = sys.argv[3:]
cdi_dir = os.environ["CDI_DIR"]
device = os.environ["EXPECT_DEVICE"]
driver = os.environ.get("DRIVER", "devpass.io")

gen = os.path.join(work, "gen")
os.makedirs(gen, exist_ok=True)
from grpc_tools import protoc  # noqa: E402

for f in ("pluginregistration.proto", "dra.proto"):
    if protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + gen,
                    "--grpc_python_out=" + gen, f]) != 0:
        sys.exit("protoc failed on " + f)
sys.path.insert(0, gen)
import grpc  # noqa: E402
import dra_pb2  # noqa: E402
import dra_pb2_grpc  # noqa: E402
import pluginregistration_pb2 as reg_pb2  # noqa: E402
import pluginregistration_pb2_grpc as reg_grpc  # noqa: E402

UID_OK, UID_GONE = "6a1f0c2e-1111-4d5b-9c3a-0a1b2c3d4e5f", "7b2e1d3f-2222-4e6c-8d4b-1b2c3d4e5f60"
claims = {
    ("default", "disk"): {"metadata": {"name": "disk", "namespace": "default", "uid": UID_OK},
                          "status": {"allocation": {"devices": {"results": [
                              {"request": "disk", "driver": driver, "pool": "node1", "device": device},
                              {"request": "gpu", "driver": "gpu.example.com", "pool": "node1", "device": "gpu-0"},
                          ]}}}},
    ("default", "gone"): {"metadata": {"name": "gone", "namespace": "default", "uid": UID_GONE},
                          "status": {"allocation": {"devices": {"results": [
                              {"request": "disk", "driver": driver, "pool": "node1", "device": "block-unplugged"},
                          ]}}}},
}
requests = []
slices, slice_log = {}, []  # name -> object; (method, name, device names)
SLICES = "/apis/resource.k8s.io/v1/resourceslices"
lock = threading.Lock()


class Api(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def slice_call(self, method):
        name = self.path[len(SLICES) + 1:]
        body = None
        if method in ("POST", "PUT"):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name = body["metadata"]["name"]
        with lock:
            cur = slices.get(name)
            if method == "GET":
                return self.reply(200, cur) if cur else self.reply(404, {"kind": "Status", "code": 404})
            if method == "DELETE":
                slices.pop(name, None)
                slice_log.append(("DELETE", name, None))
                return self.reply(200 if cur else 404, {})
            if (method == "POST") == (cur is not None) or (
                    method == "PUT" and body["metadata"].get("resourceVersion") != cur["metadata"]["resourceVersion"]):
                return self.reply(409, {"kind": "Status", "code": 409})
            body["metadata"]["resourceVersion"] = str(len(slice_log) + 1)
            slices[name] = body
            slice_log.append((method, name, [d["name"] for d in body["spec"]["devices"]]))
            self.reply(201 if method == "POST" else 200, body)

    def do_POST(self):
        self.slice_call("POST")

    def do_PUT(self):
        self.slice_call("PUT")

    def do_DELETE(self):
        self.slice_call("DELETE")

    def do_GET(self):
        if self.path.startswith(SLICES + "/"):
            return self.slice_call("GET")
        requests.append(self.path)
        parts = self.path.split("/")
        # /apis/resource.k8s.io/v1/namespaces/NS/resourceclaims/NAME
        key = (parts[5], parts[7]) if len(parts) == 8 and parts[1:4] == ["apis", "resource.k8s.io", "v1"] else None
        body = claims.get(key)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"kind": "Status", "code": 404}).encode())

    def log_message(self, *a):
        pass


api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=api.serve_forever, daemon=True).start()
kubelet_dir = os.environ["KUBELET_DIR"]
reg_dir, plug_dir = os.path.join(kubelet_dir, "plugins_registry"), os.path.join(kubelet_dir, "plugins")
env = dict(os.environ, DEVPASS_KUBE_API="http://127.0.0.1:%d" % api.server_address[1])
proc = subprocess.Popen(plugin_cmd, env=env)
failed = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failed.append(what)


try:
    reg_sock = os.path.join(reg_dir, driver + "-reg.sock")
    for _ in range(1000):
        if os.path.exists(reg_sock):
            break
        time.sleep(0.01)
    # the plugin watcher: GetInfo, then tell the plugin it is registered
    with grpc.insecure_channel("unix:" + reg_sock) as ch:
        info = reg_grpc.RegistrationStub(ch).GetInfo(reg_pb2.InfoRequest(), timeout=5)
        check(info.type == "DRAPlugin", "GetInfo type %r" % info.type)
        check(info.name == driver, "GetInfo name %r" % info.name)
        check(info.endpoint == os.path.join(plug_dir, driver, "dra.sock"), "GetInfo endpoint %r" % info.endpoint)
        check(list(info.supported_versions) == ["v1.DRAPlugin"], "versions %r" % list(info.supported_versions))
        reg_grpc.RegistrationStub(ch).NotifyRegistrationStatus(
            reg_pb2.RegistrationStatus(plugin_registered=True), timeout=5)
    check(os.stat(reg_sock).st_mode & 0o077 == 0, "the registration socket is root's only")

    with grpc.insecure_channel("unix:" + info.endpoint) as ch:
        dra = dra_pb2_grpc.DRAPluginStub(ch)
        req = dra_pb2.NodePrepareResourcesRequest(claims=[
            dra_pb2.Claim(namespace="default", uid=UID_OK, name="disk"),
            dra_pb2.Claim(namespace="default", uid=UID_GONE, name="gone"),
            dra_pb2.Claim(namespace="default", uid="0000", name="missing")])
        t0 = time.monotonic()
        r1 = dra.NodePrepareResources(req, timeout=5)
        rtt = (time.monotonic() - t0) * 1e3
        r2 = dra.NodePrepareResources(req, timeout=5)
        check(r1 == r2, "Prepare twice: the same answer")
        ok = r1.claims[UID_OK]
        check(ok.error == "" and len(ok.devices) == 1, "claim disk prepared: %s" % ok)
        d = ok.devices[0]
        cdi_id = "devpass.io/claim=%s-%s" % (UID_OK, device)
        check(d.device_name == device and d.pool_name == "node1" and list(d.request_names) == ["disk"],
              "device %s/%s for request %s" % (d.pool_name, d.device_name, list(d.request_names)))
        check(list(d.cdi_device_ids) == [cdi_id], "cdi ids %r" % list(d.cdi_device_ids))
        spec_path = os.path.join(cdi_dir, "devpass.io-claim-%s.json" % UID_OK)
        spec = json.load(open(spec_path))
        names = ["%s=%s" % (spec["kind"], x["name"]) for x in spec["devices"]]
        check(names == [cdi_id], "per-claim spec %s lists %r" % (spec_path, names))
        nodes = spec["devices"][0]["containerEdits"]["deviceNodes"]
        check(nodes[0]["path"] == os.environ["EXPECT_PATH"], "per-claim node %s" % nodes[0])
        if os.environ.get("CLAIM_CHECK"):
            # a real consumer of the per-claim CDI device
            rc = subprocess.run([os.environ["CLAIM_CHECK"], cdi_id]).returncode
            check(rc == 0, "%s %s (rc %d)" % (os.environ["CLAIM_CHECK"], cdi_id, rc))
        gone = r1.claims[UID_GONE]
        check("not on this node" in gone.error and not gone.devices, "claim on a device gone: %r" % gone.error)
        check("not found" in r1.claims["0000"].error, "unknown claim: %r" % r1.claims["0000"].error)
        # a uid that is not the claim's, a name that would leave the API path
        bad = dra.NodePrepareResources(dra_pb2.NodePrepareResourcesRequest(claims=[
            dra_pb2.Claim(namespace="default", uid=UID_GONE + "0", name="disk"),
            dra_pb2.Claim(namespace="default", uid="1234", name="../../../api/v1/secrets")]), timeout=5)
        check("has uid" in bad.claims[UID_GONE + "0"].error and not bad.claims[UID_GONE + "0"].devices,
              "a claim named with another uid is refused: %r" % bad.claims[UID_GONE + "0"].error)
        check("invalid claim reference" in bad.claims["1234"].error, "a path in a claim name is refused: %r" % bad.claims["1234"].error)
        check(not any(".." in p for p in requests), "no request left the claims path")
        print("prepare round trip (3 claims, API server included): %.2f ms" % rtt, flush=True)
        t0 = time.monotonic()
        for _ in range(20):
            dra.NodePrepareResources(dra_pb2.NodePrepareResourcesRequest(claims=req.claims[:1]), timeout=5)
        print("prepare round trip (1 claim), mean of 20: %.2f ms" % ((time.monotonic() - t0) * 1e3 / 20), flush=True)

        # the slice: created with the device; an unplug updates it and a
        # claim on the device fails; a re-plug brings it back
        def wait_slice(pred, what):
            for _ in range(300):
                with lock:
                    if slice_log and pred(slice_log[-1]):
                        return True
                time.sleep(0.01)
            check(False, what + " (slice log %r)" % slice_log)
        wait_slice(lambda e: e[0] in ("POST", "PUT") and device in e[2], "slice published with " + device)
        sl = list(slices.values())[0]
        check(sl["spec"]["driver"] == driver and sl["spec"]["nodeName"] == sl["spec"]["pool"]["name"],
              "slice driver/node/pool %s" % sl["spec"])
        attrs = [d for d in sl["spec"]["devices"] if d["name"] == device][0]["attributes"]
        host_node = os.environ.get("HOST_LOOP", os.environ["EXPECT_PATH"])
        check(attrs["class"] == {"string": "block"} and attrs["node"] == {"string": host_node},
              "slice attributes %r" % attrs)
        if os.environ.get("EXPECT_PCI_SLOT"):
            pci = [d["attributes"] for d in sl["spec"]["devices"]
                   if d["attributes"].get("pciSlot") == {"string": os.environ["EXPECT_PCI_SLOT"]}]
            check(len(pci) == 1 and pci[0].get("vendor") == {"string": os.environ["EXPECT_PCI_VENDOR"]}
                  and "product" in pci[0], "a PCI disk's slice attributes: %r" % pci)
        loop, disk = os.environ.get("HOST_LOOP", os.environ["EXPECT_PATH"]), os.environ["DISK"]
        gen0 = sl["spec"]["pool"]["generation"]
        subprocess.run(["losetup", "-d", loop], check=True)
        wait_slice(lambda e: e[0] == "PUT" and device not in e[2], "slice updated after the unplug")
        check(list(slices.values())[0]["spec"]["pool"]["generation"] > gen0, "a new pool generation")
        g = dra.NodePrepareResources(dra_pb2.NodePrepareResourcesRequest(claims=req.claims[:1]), timeout=5)
        check("not on this node" in g.claims[UID_OK].error, "a claim on the unplugged device: %r" % g.claims[UID_OK].error)
        # another device of the test's own (LOOP_RECORD, loop-high.sh)
        loop = subprocess.run(["bash", os.path.join(os.path.dirname(os.path.abspath(__file__)), "loop-high.sh"),
                               "attach", disk, os.environ["LOOP_RECORD"]],
                              check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(work, "loop"), "w") as f:
            f.write(loop)
        wait_slice(lambda e: e[0] == "PUT" and device in e[2], "slice updated after the re-plug")

        un = dra_pb2.NodeUnprepareResourcesRequest(claims=req.claims[:2])
        u1 = dra.NodeUnprepareResources(un, timeout=5)
        u2 = dra.NodeUnprepareResources(un, timeout=5)
        check(all(u1.claims[c.uid].error == "" for c in un.claims) and u1 == u2, "Unprepare twice: no error")
        check(not os.path.exists(spec_path), "the per-claim spec is gone")
    check(all(p.startswith("/apis/resource.k8s.io/v1/namespaces/default/resourceclaims/") for p in requests),
          "API requests %r" % sorted(set(requests)))
finally:
    proc.terminate()
    rc = proc.wait(timeout=10)
    api.shutdown()
check(rc == 0, "the plugin exits 0 on SIGTERM (rc %d)" % rc)
check(slice_log and slice_log[-1][0] == "DELETE" and not slices, "the slice is deleted at stop: %r" % slice_log[-1:])
check(not os.path.exists(os.path.join(reg_dir, driver + "-reg.sock")), "its registration socket is removed")
sys.exit(1 if failed else 0)
