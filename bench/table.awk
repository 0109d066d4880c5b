# table.awk: bench/run.sh's table, from sseload's "RESULT k=v ..." lines.
# The first occurrence of a key wins (run.sh puts its own figures first).
function g(k,    i, n) {
	for (i = 2; i <= NF; i++) {
		n = index($i, "=")
		if (substr($i, 1, n - 1) == k)
			return substr($i, n + 1)
	}
	return ""
}
# The median of the scale runs of one size (insertion sort: a few runs).
function median(lbl,    n, i, j, a, t) {
	n = nruns[lbl]
	for (i = 0; i < n; i++)
		a[i] = runs[lbl, i]
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return (n % 2) ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2
}
function num(v, fmt) {
	return (v == "" || v + 0 < 0) ? "-" : sprintf(fmt, v)
}
BEGIN {
	fmt = "%-16s %11s %7s %6s %8s %8s %8s %9s %8s %8s %8s %7s %5s %8s %6s\n"
	printf fmt, "scenario", "streams", "B/strm", "idle%", "acks/s",
	    "pubev/s", "ack99ms", "deliv/s", "p50 ms", "p99 ms", "max ms",
	    "lost", "bad", "us/deliv", "tool%"
}
$1 == "RESULT" {
	if (g("no_result") == "1") {
		printf "%-16s (no result: see its .err file)\n", g("label")
		next
	}
	subs = g("subs") + 0
	streams = (subs > 0) ? g("est") "/" subs : "-"
	hold = g("hold_s") + 0
	idle = (hold > 0) ? num(100 * g("idle_cpu_s") / hold, "%.2f") : "-"
	bps = (subs >= 100 && g("b_per_sub") + 0 > 0) ? num(g("b_per_sub"), "%.0f") : "-"
	wall = g("wall_s") + 0
	tool = (wall > 0 && g("received") + 0 > 0) ? num(100 * g("tool_cpu_s") / wall, "%.0f") : "-"
	pub = (g("requests") + 0 > 0)
	recv = g("received") + 0
	acks = pub ? num(g("acks_per_s"), "%.0f") : "-"
	pubev = (g("pub_ev_per_s") + 0 > 0) ? num(g("pub_ev_per_s"), "%.0f") : "-"
	ack99 = pub ? num(g("ack_p99_ms"), "%.2f") : "-"
	deliv = (recv > 0) ? num(g("deliv_per_s"), "%.0f") : "-"
	lost = (recv > 0 || g("expected") + 0 > 0) ? g("lost") : "-"
	bad = (recv > 0) ? g("bad") : "-"
	usd = (recv > 0) ? num(g("us_per_deliv"), "%.2f") : "-"
	if (g("label") ~ /^scale-/ && recv > 0) {
		if (!(g("label") in nruns))
			sizes[nsizes++] = g("label")
		runs[g("label"), nruns[g("label")]++] = g("us_per_deliv") + 0
	}
	if (g("label") == "pub-http")
		http_rate = g("pub_ev_per_s") + 0
	if (g("label") == "ssectl-lines")
		lines_rate = g("pub_ev_per_s") + 0
	printf(fmt, g("label"), streams, bps, idle, acks, pubev, ack99, deliv,
	    num(g("lat_p50_ms"), "%.2f"), num(g("lat_p99_ms"), "%.2f"),
	    num(g("lat_max_ms"), "%.2f"), lost, bad, usd, tool)
	if (g("failed") + 0 > 0 || g("dropped") + 0 > 0 || g("pub_err") + 0 > 0 ||
	    g("timed_out") == "1")
		printf("%-16s   ! streams failed %s, closed by server %s, %s\n",
		    "", g("failed"), g("dropped"), "publish errors " \
		    g("pub_err") ", hit --duration " g("timed_out"))
}
END {
	for (i = 0; i < nsizes; i++) {
		v = median(sizes[i])
		if (i == 0 || v < sbest)
			sbest = v
		if (v > sworst)
			sworst = v
	}
	if (nsizes > 1 && sbest > 0)
		printf("scale: CPU per delivery, worst over best of %d sizes " \
		    "(%s): %.2f (the target is at most 1.25)\n", nsizes,
		    nruns[sizes[0]] > 1 ? "median of " nruns[sizes[0]] \
		    " runs each" : "one run each", sworst / sbest)
	if (http_rate > 0 && lines_rate > 0)
		printf("local publishing: ssectl notify --lines %.0f events/s, " \
		    "%.1f times one HTTP publisher (the target is 100,000 and " \
		    "10 times)\n", lines_rate, lines_rate / http_rate)
	print "# streams  open/asked subscriber streams (GET /sse/updates/{topic})"
	print "# B/strm   server RSS growth once the streams are open, per stream"
	print "# idle%    server CPU while the streams sit idle, % of one core"
	print "# acks/s   publish requests answered per second (HTTP POST or control frame)"
	print "# pubev/s  events published per second (a control request carries a batch)"
	print "# ack99ms  99th percentile of publish request -> answer"
	print "# deliv/s  events received by all streams / (first publish -> last receipt)"
	print "# p50/p99/max ms  publish -> receipt latency of every delivery (stamp in the data)"
	print "# lost     deliveries expected (streams on the topic per answered publish) - received"
	print "# bad      events failing the check: id not increasing, wrong type, topic or payload"
	print "# us/deliv server CPU (utime+stime) during publish+drain / deliveries"
	print "# tool%    sseload CPU over the same time, % of one core (near 100: the client was the limit)"
}
