/*
 * ctlpoke.c: a test tool that writes raw bytes to ssed's control socket
 * and prints every reply frame, one per line, as msgpack_object_print
 * shows it.  It lets the end-to-end tests send what no well-behaved
 * client would: garbage, truncated and oversized frames.
 *
 * usage: ctlpoke SOCKET [HEX]...
 *   Each HEX argument is written as one write().  Then the write side
 *   is shut down and replies are read until the daemon closes or 3 s
 *   pass.  Exit 0 when the daemon closed the connection, 2 when it was
 *   still open at the time limit.
 */
#include "config.h"

#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sseproto.h>

static size_t
unhex(const char *s, unsigned char *out)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0') {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			errx(1, "bad hex: %s", s);
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return;	/* the daemon may close early: fine */
		p += n;
		len -= (size_t)n;
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	static char		 buf[1 << 20];
	size_t			 len = 0, flen;
	msgpack_unpacked	 u;
	int			 fd, i, closed = 0;

	if (argc < 2)
		errx(1, "usage: ctlpoke SOCKET [HEX]...");
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		errx(1, "socket path too long");
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "%s", argv[1]);
	for (i = 2; i < argc; i++) {
		unsigned char *b = malloc(strlen(argv[i]) / 2 + 1);

		if (b == NULL)
			err(1, "malloc");
		write_all(fd, b, unhex(argv[i], b));
		free(b);
	}
	shutdown(fd, SHUT_WR);
	msgpack_unpacked_init(&u);
	for (;;) {
		struct pollfd	pfd = { .fd = fd, .events = POLLIN };
		ssize_t		n;

		if (poll(&pfd, 1, 3000) <= 0)
			break;
		if ((n = read(fd, buf + len, sizeof(buf) - len)) <= 0) {
			closed = 1;
			break;
		}
		len += (size_t)n;
		while (sse_ctl_frame_decode(buf, len, sizeof(buf), &u,
		    &flen) == 0) {
			msgpack_object_print(stdout, u.data);
			putchar('\n');
			memmove(buf, buf + flen, len - flen);
			len -= flen;
		}
	}
	msgpack_unpacked_destroy(&u);
	close(fd);
	return closed ? 0 : 2;
}
