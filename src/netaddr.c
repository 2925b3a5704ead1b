/*
 * Client addresses (contract §3.12): which address a request comes from when
 * proxies stand in front.  Pure functions over text: the peer address
 * (REMOTE_ADDR, RFC 3875 §4.1.8), the Forwarded (RFC 7239 §4) and
 * X-Forwarded-For headers and the trusted_proxies list.  A header is believed
 * only from a trusted peer; the right-most hop that is not a trusted proxy is
 * the client, so a client can never choose its own address.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "glue.h"

#define MAX_HOPS	32	/* hops looked at, from the right */

struct ip {
	unsigned char	 b[16];
	int		 len;		/* 4 or 16 */
};

/* An IPv4 or IPv6 address; an IPv4-mapped IPv6 address is its IPv4 one. */
static int
ip_parse(const char *s, size_t n, struct ip *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char	 buf[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, ip->b) == 1) {
		ip->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip->b) != 1)
		return -1;
	ip->len = 16;
	if (memcmp(ip->b, mapped, sizeof(mapped)) == 0) {
		memmove(ip->b, ip->b + 12, 4);
		ip->len = 4;
	}
	return 0;
}

static void
ip_format(const struct ip *ip, char *out, size_t sz)
{
	char	 buf[INET6_ADDRSTRLEN];

	if (inet_ntop(ip->len == 4 ? AF_INET : AF_INET6, ip->b, buf,
	    sizeof(buf)) == NULL)
		buf[0] = '\0';
	snprintf(out, sz, "%s", buf);
}

/* One entry of the list: an address or a network "address/prefix". */
static int
net_parse(const char *s, size_t n, struct ip *net, int *bits)
{
	const char	*slash = memchr(s, '/', n);
	char		*end, num[4];
	size_t		 an = slash != NULL ? (size_t)(slash - s) : n;
	long		 v;

	if (ip_parse(s, an, net) != 0)
		return -1;
	*bits = net->len * 8;
	if (slash == NULL)
		return 0;
	if (n - an - 1 == 0 || n - an - 1 >= sizeof(num) ||
	    !isdigit((unsigned char)slash[1]))
		return -1;
	memcpy(num, slash + 1, n - an - 1);
	num[n - an - 1] = '\0';
	v = strtol(num, &end, 10);
	if (*end != '\0' || v > net->len * 8)
		return -1;
	*bits = (int)v;
	return 0;
}

static int
net_contains(const struct ip *net, int bits, const struct ip *ip)
{
	int	 full = bits / 8, rest = bits % 8;

	if (net->len != ip->len || memcmp(net->b, ip->b, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((net->b[full] ^ ip->b[full]) &
	    (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * Walks the comma-separated list: for each entry, cb(net, bits, arg); a
 * malformed or empty entry: -1 (so is ""). Spaces around entries are
 * allowed.
 */
static int
net_walk(const char *list, int (*cb)(const struct ip *, int, void *),
    void *arg)
{
	const char	*p = list, *e, *end;
	struct ip	 net;
	int		 bits, rc;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		e = strchr(p, ',');
		end = e != NULL ? e : p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (net_parse(p, (size_t)(end - p), &net, &bits) != 0)
			return -1;
		if ((rc = cb(&net, bits, arg)) != 0)
			return rc;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int
count_cb(const struct ip *net, int bits, void *arg)
{
	(void)net;
	(void)bits;
	(*(int *)arg)++;
	return 0;
}

/* A list of addresses and networks, as trusted_proxies takes it ("" too). */
int
net_list_ok(const char *list)
{
	int	 n = 0;

	if (strspn(list, " \t") == strlen(list))
		return 1;
	return net_walk(list, count_cb, &n) == 0 && n > 0;
}

static int
match_cb(const struct ip *net, int bits, void *arg)
{
	return net_contains(net, bits, arg) ? 1 : 0;
}

static int
trusted(const char *list, const struct ip *ip)
{
	struct ip	 copy = *ip;

	return net_walk(list, match_cb, &copy) == 1;
}

/* The node of one hop: brackets, quotes and a port removed (RFC 7239 §6). */
static int
hop_parse(const char *s, size_t n, struct ip *ip)
{
	const char	*c;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	if (n > 0 && s[0] == '[') {
		if ((c = memchr(s, ']', n)) == NULL)
			return -1;
		return ip_parse(s + 1, (size_t)(c - s - 1), ip);
	}
	/* IPv4 with a port: one colon; bare IPv6 (X-Forwarded-For) has more. */
	if ((c = memchr(s, ':', n)) != NULL && memchr(c + 1, ':',
	    n - (size_t)(c - s) - 1) == NULL)
		n = (size_t)(c - s);
	return ip_parse(s, n, ip);
}

/* Splits a header into its hops (comma-separated, at most MAX_HOPS, the
 * right-most kept); with fwd, each hop is the for= of an element. */
struct hops {
	const char	*s[MAX_HOPS];
	size_t		 n[MAX_HOPS];
	size_t		 count;
};

static void
hop_add(struct hops *h, const char *s, size_t n)
{
	if (h->count == MAX_HOPS) {
		memmove(h->s, h->s + 1, sizeof(h->s[0]) * (MAX_HOPS - 1));
		memmove(h->n, h->n + 1, sizeof(h->n[0]) * (MAX_HOPS - 1));
		h->count--;
	}
	h->s[h->count] = s;
	h->n[h->count++] = n;
}

/* The for= parameter of one Forwarded element; none: "" (unknown). */
static void
forwarded_for(struct hops *h, const char *s, size_t n)
{
	const char	*p = s, *e, *end = s + n;

	while (p < end) {
		e = memchr(p, ';', (size_t)(end - p));
		if (e == NULL)
			e = end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (e - p > 4 && strncasecmp(p, "for=", 4) == 0) {
			hop_add(h, p + 4, (size_t)(e - p - 4));
			return;
		}
		p = e + 1;
	}
	hop_add(h, "", 0);
}

static void
hops_split(struct hops *h, const char *v, int fwd)
{
	const char	*p = v, *e;
	int		 quoted = 0;

	h->count = 0;
	for (e = p;; e++) {
		if (*e == '"')
			quoted = !quoted;
		if (*e != '\0' && (*e != ',' || quoted))
			continue;
		if (fwd)
			forwarded_for(h, p, (size_t)(e - p));
		else
			hop_add(h, p, (size_t)(e - p));
		if (*e == '\0')
			break;
		p = e + 1;
	}
}

/*
 * The client address of a request into out (at least INET6_ADDRSTRLEN):
 * the peer unless the peer is in the trusted list; then the right-most hop
 * of Forwarded (or, without it, X-Forwarded-For) that is not trusted.  A
 * hop that is no address ("unknown", an obfuscated name, garbage) stops
 * the walk: the proxy that reported it is the client as far as anyone can
 * tell.  Every hop trusted: the left-most.  Addresses come out normalised
 * (inet_ntop); a peer that is no address comes out as it is.
 */
void
client_address(const char *peer, const char *forwarded, const char *xff,
    const char *list, char *out, size_t sz)
{
	struct hops	 h;
	struct ip	 ip, cur;
	size_t		 i;

	if (peer == NULL || ip_parse(peer, strlen(peer), &cur) != 0) {
		snprintf(out, sz, "%s", peer != NULL ? peer : "");
		return;
	}
	if (list != NULL && trusted(list, &cur)) {
		if (forwarded != NULL && *forwarded != '\0')
			hops_split(&h, forwarded, 1);
		else if (xff != NULL && *xff != '\0')
			hops_split(&h, xff, 0);
		else
			h.count = 0;
		for (i = h.count; i > 0; i--) {
			if (hop_parse(h.s[i - 1], h.n[i - 1], &ip) != 0)
				break;
			cur = ip;
			if (!trusted(list, &cur))
				break;
		}
	}
	ip_format(&cur, out, sz);
}
