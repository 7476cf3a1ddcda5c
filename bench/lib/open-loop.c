/*
 * The HTTP benchmark's open-loop client, native so that offering a fixed rate costs the machine's
 * 2 cores little: a Node client offering 16k requests/s took a large share of the CPU it shares
 * with the upstream, and its own queueing showed in both sides' p99.
 *
 *   open-loop PORT RPS CONNECTIONS WARMUP_MS DURATION_MS REQUEST
 *
 * Request i falls due at start + i/RPS and goes out at once on an idle keep-alive connection of
 * 127.0.0.1:PORT (no pipelining), or waits in a queue until one is free. Its latency runs from the
 * moment it fell due (not from when it was sent: a request queued behind a slow response counts
 * that wait, as wrk2 does) to the last byte of its response. Requests due in the warm-up are not
 * measured; after the measured window, answers still due get 3 s. A response must carry
 * Content-Length (the benchmark's upstream always does) and status 200, else it is an error; a
 * connection the server closes is reopened.
 *
 * Prints one JSON line: offeredRps, achievedRps, errors (failed, broken or unanswered requests),
 * and the latency quantiles p50Ms, p99Ms, p999Ms, maxMs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384
#define DRAIN_NS 3000000000LL

struct conn {
	int fd;
	int busy;      /* a request is outstanding */
	int64_t due;   /* when that request fell due */
	size_t have;   /* response bytes held in buf */
	char buf[BUF];
};

static int port;
static const char *request;
static size_t request_len;
static int64_t measure_from, measure_end;
static struct conn *conns;
static int nconns;
static int *idle; /* stack of idle connection indexes */
static int nidle;
static int64_t *queue; /* due times of requests waiting for a connection (a ring) */
static size_t queue_cap, queue_head, queue_len;
static double *lat; /* latencies of measured requests, ms */
static size_t nlat, lat_cap;
static long errors, completed, outstanding;
static int ep;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "open-loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void open_conn(int i)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl");
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	conns[i] = (struct conn){ .fd = fd };
}

static void record(int64_t due, int ok)
{
	outstanding--;
	if (due < measure_from)
		return;
	if (!ok) {
		errors++;
		return;
	}
	completed++;
	if (nlat == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		lat = realloc(lat, lat_cap * sizeof *lat);
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = (double)(now_ns() - due) / 1e6;
}

static void reopen(int i, int take_next);

static void send_on(int i, int64_t due)
{
	struct conn *c = &conns[i];
	c->busy = 1;
	c->due = due;
	/* A small request into an empty socket buffer: one send takes it whole. One that fails (the
	 * server closed the connection) counts as an error, and the connection is opened again. */
	if (send(c->fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len)
		reopen(i, 0);
}

/* Connection i is free: it takes the oldest queued request, or goes idle. */
static void dispatch(int i)
{
	if (queue_len > 0) {
		int64_t due = queue[queue_head];
		queue_head = (queue_head + 1) % queue_cap;
		queue_len--;
		send_on(i, due);
	} else {
		idle[nidle++] = i;
	}
}

static void issue(int64_t due)
{
	outstanding++;
	if (nidle > 0) {
		send_on(idle[--nidle], due);
		return;
	}
	if (queue_len == queue_cap) {
		fprintf(stderr, "open-loop: %zu requests queued: the server cannot keep up\n", queue_len);
		exit(1);
	}
	queue[(queue_head + queue_len) % queue_cap] = due;
	queue_len++;
}

/* Replaces connection i (its outstanding request counts as an error); it then takes the next
 * queued request, or (`take_next` 0: a send just failed on it) waits idle for the next one. */
static void reopen(int i, int take_next)
{
	struct conn *c = &conns[i];
	if (c->busy)
		record(c->due, 0);
	c->busy = 0;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (int k = 0; k < nidle; k++)
		if (idle[k] == i)
			idle[k] = idle[--nidle];
	open_conn(i);
	if (take_next)
		dispatch(i);
	else
		idle[nidle++] = i;
}

/* The length of the complete response at the start of buf, 0 while incomplete, -1 if unreadable. */
static long response_length(const char *buf, size_t have, int *ok)
{
	const char *end = memmem(buf, have, "\r\n\r\n", 4);
	if (!end)
		return have >= BUF ? -1 : 0;
	size_t head = (size_t)(end - buf) + 4;
	long body = -1;
	for (const char *p = buf; p < end;) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *line = p;
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (len > 15 && strncasecmp(line, "content-length:", 15) == 0)
			body = strtol(line + 15, NULL, 10);
		p = eol ? eol + 2 : end;
	}
	if (body < 0 || head + (size_t)body > BUF)
		return -1;
	if (have < head + (size_t)body)
		return 0;
	*ok = have >= 13 && memcmp(buf, "HTTP/1.1 200 ", 13) == 0;
	return (long)(head + (size_t)body);
}

static void readable(int i)
{
	struct conn *c = &conns[i];
	ssize_t n = read(c->fd, c->buf + c->have, BUF - c->have);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		reopen(i, 1);
		return;
	}
	c->have += (size_t)n;
	int ok = 0;
	long len = response_length(c->buf, c->have, &ok);
	if (len == 0)
		return;
	if (len < 0 || !c->busy || (size_t)len != c->have) {
		/* Unreadable, unasked for, or more than one response: the connection is broken. */
		reopen(i, 1);
		return;
	}
	c->have = 0;
	c->busy = 0;
	record(c->due, ok);
	dispatch(i);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(double q)
{
	if (nlat == 0)
		return -1;
	size_t rank = (size_t)(q * (double)nlat + 0.999999999);
	if (rank > 0)
		rank--;
	if (rank >= nlat)
		rank = nlat - 1;
	return lat[rank];
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: open-loop PORT RPS CONNECTIONS WARMUP_MS DURATION_MS REQUEST\n");
		return 2;
	}
	port = atoi(argv[1]);
	double rps = atof(argv[2]);
	nconns = atoi(argv[3]);
	int64_t warmup = atoll(argv[4]) * 1000000LL, duration = atoll(argv[5]) * 1000000LL;
	request = argv[6];
	request_len = strlen(request);
	if (port <= 0 || rps <= 0 || nconns <= 0 || duration <= 0) {
		fprintf(stderr, "open-loop: bad arguments\n");
		return 2;
	}
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	conns = calloc((size_t)nconns, sizeof *conns);
	idle = calloc((size_t)nconns, sizeof *idle);
	queue_cap = (size_t)nconns * 1000;
	queue = calloc(queue_cap, sizeof *queue);
	if (!conns || !idle || !queue)
		die("calloc");
	for (int i = 0; i < nconns; i++) {
		open_conn(i);
		idle[nidle++] = i;
	}
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (tfd < 0)
		die("timerfd_create");
	struct epoll_event tev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

	int64_t start = now_ns();
	measure_from = start + warmup;
	measure_end = measure_from + duration;
	long issued = 0, measured = 0;
	double interval = 1e9 / rps;
	struct epoll_event evs[64];
	for (;;) {
		int64_t t = now_ns();
		if (t >= measure_end)
			break;
		for (int64_t due = start + (int64_t)((double)issued * interval); due <= t;
		     due = start + (int64_t)((double)issued * interval)) {
			if (due >= measure_from)
				measured++;
			issued++;
			issue(due);
		}
		/* Sleep until the next request falls due, or a socket is readable. */
		int64_t next = start + (int64_t)((double)issued * interval);
		struct itimerspec its = { .it_value = { .tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL } };
		timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
		int n = epoll_wait(ep, evs, 64, -1);
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == UINT32_MAX) {
				uint64_t expirations;
				(void)!read(tfd, &expirations, sizeof expirations);
			} else {
				readable((int)evs[k].data.u32);
			}
		}
	}
	struct itimerspec off = { 0 };
	timerfd_settime(tfd, 0, &off, NULL);
	int64_t drain_until = now_ns() + DRAIN_NS;
	while (outstanding > 0 && now_ns() < drain_until) {
		int n = epoll_wait(ep, evs, 64, 5);
		for (int k = 0; k < n; k++)
			if (evs[k].data.u32 != UINT32_MAX)
				readable((int)evs[k].data.u32);
	}
	double seconds = (double)duration / 1e9;
	long unanswered = measured - completed - errors;
	qsort(lat, nlat, sizeof *lat, cmp);
	printf("{\"offeredRps\":%.1f,\"achievedRps\":%.1f,\"errors\":%ld,\"p50Ms\":%.4f,\"p99Ms\":%.4f,\"p999Ms\":%.4f,\"maxMs\":%.4f}\n",
	       (double)measured / seconds, (double)completed / seconds, errors + (unanswered > 0 ? unanswered : 0), quantile(0.5),
	       quantile(0.99), quantile(0.999), nlat ? lat[nlat - 1] : -1);
	return 0;
}
