# setup.sh: installs the build from the share, starts devpassd from its
# shipped unit and makes the LXC container c1.
. /mnt/share/guest/lib.sh
cp -a /mnt/share/stage/usr/local/. /usr/local/
mkdir -p /etc/devpass/policy.d
cp /mnt/share/guest/50-vm.policy /etc/devpass/policy.d/
mk_lxc c1
lxc-start -n c1 -d
wait_for 60 lxc_pid c1 >/dev/null || die "c1 did not start"
systemctl daemon-reload
