# in-ctr.sh PID CMD...: runs CMD in the namespaces of PID and in its device
# cgroup. nsenter alone would leave the process in the caller's cgroup, and
# its opens would be judged by the wrong device policy (a false "open
# works"). A process of its own, so that only it moves.
set -eu
pid=$1
shift
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        echo $$ >"/sys/fs/cgroup$cg/cgroup.procs"
else
        echo $$ >"/sys/fs/cgroup/devices$(sed -n 's/^[0-9]*:devices://p' "/proc/$pid/cgroup")/cgroup.procs"
        echo $$ >"/sys/fs/cgroup/unified$cg/cgroup.procs"
fi
exec nsenter -t "$pid" -m -u -i -n -p -r -w "$@"
