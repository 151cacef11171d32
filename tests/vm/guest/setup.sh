# setup.sh: installs devpass as a user would (the Debian package from the
# share, or a build tree's `cmake --install` for a quick local run), with
# the lab's policy and the metrics endpoint enabled by a unit drop-in, and
# makes the LXC container c1.
. /mnt/share/guest/lib.sh
mkdir -p /etc/devpass/policy.d /etc/systemd/system/devpassd.service.d
cp /mnt/share/guest/50-vm.policy /etc/devpass/policy.d/
if [ -f /mnt/share/devpass.deb ]; then
        sbin=/usr/sbin
else
        sbin=/usr/local/sbin
fi
# what README's "Metrics" tells users to do
cat >/etc/systemd/system/devpassd.service.d/metrics.conf <<UNIT
[Service]
ExecStart=
ExecStart=$sbin/devpassd --metrics-listen 9464
UNIT
if [ -f /mnt/share/devpass.deb ]; then
        # apt resolves the Depends against what the image has installed
        # (no network here); the package enables and starts devpassd
        cp /mnt/share/devpass.deb /tmp/devpass.deb
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                /tmp/devpass.deb >/tmp/apt-install.log 2>&1 ||
                die "apt install devpass.deb: $(tail -5 /tmp/apt-install.log)"
else
        cp -a /mnt/share/stage/usr/local/. /usr/local/
        systemctl daemon-reload
fi
mk_lxc c1
lxc-start -n c1 -d
wait_for 60 lxc_pid c1 >/dev/null || die "c1 did not start"
