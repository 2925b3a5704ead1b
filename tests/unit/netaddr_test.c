/*
 * src/netaddr.c: the client address behind proxies (contract §3.12), as a
 * table of peer, headers and trusted list, and the trusted_proxies grammar.
 */
#include <stdio.h>
#include <string.h>

#include "glue.h"
#include "unit.h"

struct client_case {
	const char	*peer;
	const char	*fwd;		/* Forwarded */
	const char	*xff;		/* X-Forwarded-For */
	const char	*trusted;
	const char	*want;
};

static void
test_client(void)
{
	static const struct client_case t[] = {
		/* No trusted proxies: the peer, whatever the headers say. */
		{ "127.0.0.1", NULL, NULL, "", "127.0.0.1" },
		{ "127.0.0.1", NULL, "203.0.113.7", "", "127.0.0.1" },
		{ "127.0.0.1", "for=203.0.113.7", NULL, "", "127.0.0.1" },
		{ "127.0.0.1", NULL, "203.0.113.7", NULL, "127.0.0.1" },
		/* A peer that is not trusted: its headers are not believed. */
		{ "198.51.100.1", NULL, "203.0.113.7", "127.0.0.1", "198.51.100.1" },
		{ "198.51.100.1", "for=203.0.113.7", NULL, "10.0.0.0/8",
		    "198.51.100.1" },
		/* A trusted peer: the right-most untrusted hop. */
		{ "127.0.0.1", NULL, "203.0.113.7", "127.0.0.1", "203.0.113.7" },
		{ "127.0.0.1", NULL, "1.1.1.1, 203.0.113.7", "127.0.0.1",
		    "203.0.113.7" },
		/* A forged left part does not win: the client's own proxy
		 * appended the address it saw. */
		{ "10.0.0.2", NULL, "6.6.6.6, 203.0.113.7, 10.0.0.1",
		    "10.0.0.0/8", "203.0.113.7" },
		{ "10.0.0.2", NULL, "6.6.6.6,203.0.113.7,10.0.0.1,10.9.9.9",
		    "10.0.0.0/8", "203.0.113.7" },
		/* Every hop trusted: the left-most. */
		{ "10.0.0.2", NULL, "10.0.0.3, 10.0.0.1", "10.0.0.0/8",
		    "10.0.0.3" },
		/* No header from a trusted peer: the peer. */
		{ "127.0.0.1", NULL, NULL, "127.0.0.1", "127.0.0.1" },
		{ "127.0.0.1", "", "", "127.0.0.1", "127.0.0.1" },
		/* A hop that is no address stops the walk at the proxy that
		 * reported it. */
		{ "127.0.0.1", NULL, "unknown", "127.0.0.1", "127.0.0.1" },
		{ "10.0.0.2", NULL, "203.0.113.7, garbage, 10.0.0.1",
		    "10.0.0.0/8", "10.0.0.1" },
		{ "127.0.0.1", NULL, " , ", "127.0.0.1", "127.0.0.1" },
		/* X-Forwarded-For with ports and IPv6. */
		{ "127.0.0.1", NULL, "203.0.113.7:4711", "127.0.0.1",
		    "203.0.113.7" },
		{ "127.0.0.1", NULL, "2001:DB8::1", "127.0.0.1", "2001:db8::1" },
		{ "127.0.0.1", NULL, "[2001:db8::1]:4711", "127.0.0.1",
		    "2001:db8::1" },
		{ "127.0.0.1", NULL, "::ffff:203.0.113.7", "127.0.0.1",
		    "203.0.113.7" },
		/* Forwarded (RFC 7239): for= of each element, quoted, with
		 * ports, IPv6 in brackets; it wins over X-Forwarded-For. */
		{ "127.0.0.1", "for=203.0.113.7", "6.6.6.6", "127.0.0.1",
		    "203.0.113.7" },
		{ "127.0.0.1", "for=6.6.6.6, For=\"203.0.113.7:80\";proto=https",
		    NULL, "127.0.0.1", "203.0.113.7" },
		{ "127.0.0.1", "proto=http;for=\"[2001:db8:cafe::17]:4711\"",
		    NULL, "127.0.0.1", "2001:db8:cafe::17" },
		{ "127.0.0.1", "for=203.0.113.7;by=127.0.0.1, for=10.1.1.1",
		    NULL, "127.0.0.1, 10.0.0.0/8", "203.0.113.7" },
		{ "127.0.0.1", "for=unknown", NULL, "127.0.0.1", "127.0.0.1" },
		{ "127.0.0.1", "for=_hidden, for=203.0.113.7", NULL,
		    "127.0.0.1", "203.0.113.7" },
		{ "127.0.0.1", "by=10.0.0.1", NULL, "127.0.0.1", "127.0.0.1" },
		/* A quoted comma does not split an element. */
		{ "127.0.0.1", "for=\"6.6.6.6,1.2.3.4\"", NULL, "127.0.0.1",
		    "127.0.0.1" },
		/* IPv6 peers and networks. */
		{ "::1", NULL, "203.0.113.7", "::1", "203.0.113.7" },
		{ "2001:db8::5", NULL, "203.0.113.7", "2001:db8::/32",
		    "203.0.113.7" },
		{ "2001:db9::5", NULL, "203.0.113.7", "2001:db8::/32",
		    "2001:db9::5" },
		{ "::ffff:127.0.0.1", NULL, "203.0.113.7", "127.0.0.1",
		    "203.0.113.7" },
		/* Network boundaries. */
		{ "192.168.1.255", NULL, "203.0.113.7", "192.168.1.0/24",
		    "203.0.113.7" },
		{ "192.168.2.0", NULL, "203.0.113.7", "192.168.1.0/24",
		    "192.168.2.0" },
		{ "192.168.1.129", NULL, "203.0.113.7", "192.168.1.128/25",
		    "203.0.113.7" },
		{ "192.168.1.127", NULL, "203.0.113.7", "192.168.1.128/25",
		    "192.168.1.127" },
		{ "8.8.8.8", NULL, "203.0.113.7", "0.0.0.0/0", "203.0.113.7" },
		/* A peer that is no address comes out as it is. */
		{ "", NULL, "203.0.113.7", "127.0.0.1", "" },
		{ NULL, NULL, "203.0.113.7", "127.0.0.1", "" },
		{ "local", NULL, NULL, "", "local" },
	};
	char	 out[MAX_CLIENT_ADDR + 1];
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		client_address(t[i].peer, t[i].fwd, t[i].xff, t[i].trusted,
		    out, sizeof(out));
		CHECKF(strcmp(out, t[i].want) == 0,
		    "case %zu: peer %s fwd %s xff %s trusted %s: got %s, "
		    "want %s", i, t[i].peer ? t[i].peer : "(null)",
		    t[i].fwd ? t[i].fwd : "(null)",
		    t[i].xff ? t[i].xff : "(null)", t[i].trusted, out,
		    t[i].want);
	}
}

/* More hops than are looked at: the right-most MAX_HOPS count. */
static void
test_many_hops(void)
{
	char	 xff[2048], out[MAX_CLIENT_ADDR + 1];
	size_t	 n = 0;
	int	 i;

	n += (size_t)snprintf(xff + n, sizeof(xff) - n, "203.0.113.7");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(xff + n, sizeof(xff) - n, ", 10.0.0.%d",
		    i + 1);
	client_address("10.0.0.100", NULL, xff, "10.0.0.0/8", out,
	    sizeof(out));
	CHECK_STR(out, "10.0.0.9");	/* the left-most of the 32 kept */
}

static void
test_lists(void)
{
	static const struct {
		const char	*list;
		int		 ok;
	} t[] = {
		{ "", 1 }, { "  ", 1 }, { "127.0.0.1", 1 }, { "::1", 1 },
		{ "10.0.0.0/8,::1, 2001:db8::/32 ", 1 }, { "0.0.0.0/0", 1 },
		{ "::/0", 1 }, { "10.0.0.0/32", 1 }, { "::1/128", 1 },
		{ "10.0.0.0/33", 0 }, { "::1/129", 0 }, { "10.0.0.0/", 0 },
		{ "10.0.0.0/a", 0 }, { "10.0.0.0/+8", 0 }, { "10.0.0.0/8/8", 0 },
		{ "host.example", 0 }, { "127.0.0.1,", 0 }, { ",127.0.0.1", 0 },
		{ "127.0.0.1,,::1", 0 }, { "1.2.3", 0 }, { "1.2.3.4.5", 0 },
		{ "[::1]", 0 }, { "127.0.0.1:80", 0 },
	};
	size_t	 i;

	for (i = 0; i < nitems(t); i++)
		CHECKF(net_list_ok(t[i].list) == t[i].ok,
		    "net_list_ok(\"%s\") = %d, want %d", t[i].list,
		    net_list_ok(t[i].list), t[i].ok);
}

int
main(void)
{
	test_client();
	test_many_hops();
	test_lists();
	return unit_done();
}
