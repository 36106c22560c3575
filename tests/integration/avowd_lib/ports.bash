# free_port for the integration tests (sourced, not a test itself).
# A port free now, chosen at random below the kernel's ephemeral range: a port
# the kernel handed out by bind(0) is released here before avowd binds it, and
# meanwhile any client connection of a test running beside this one (curl,
# wrk, PostgreSQL) may get it as its own local port. Below the range, only
# another test's choice can collide (a 1 in ~16,000 chance), and the bind
# check below catches a port already taken.
free_port() {
    python3 - <<'PY'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(max(1024, lo - 16384), lo)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("free_port: no free port below the ephemeral range")
PY
}
