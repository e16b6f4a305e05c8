#!/bin/sh
# The oracle guest's /init (busybox sh).  Mounts the pseudo file systems,
# loads the modules /etc/modules lists (dependencies first), runs
# /oracle/main with its output on the second serial port (ttyS1, the result
# channel; the kernel's console is ttyS0) and powers off.  A line "@@ end"
# closes the results, so the host tells a finished run from a crash.
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
out=/dev/ttyS1
[ -c $out ] || out=/dev/console
while read m; do
	insmod /lib/modules/$m.ko || echo "@@ error insmod $m" > $out
done < /etc/modules
echo "@@ kernel $(uname -r)" > $out
if [ -x /oracle/main ]; then
	/oracle/main > $out 2>&1
	echo "@@ exit $?" > $out
fi
echo "@@ end" > $out
poweroff -f
