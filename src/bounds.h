/*
 * Every fixed limit of glue-mfa, with the reason for its value.  Limits an
 * operator may tune are configuration keys instead (config.c, README).
 * Field maxima must match the SQL column sizes in sql/.
 */
#ifndef GLUE_BOUNDS_H
#define GLUE_BOUNDS_H

/* contract §2.3: request bodies over 64 KiB are refused with 413. */
#define MAX_BODY		(64 * 1024)
/* contract §2.3: JSON nested deeper than this is malformed (400). */
#define MAX_JSON_DEPTH		16
/* Header values we copy; longer ones are treated as absent or invalid. */
#define MAX_HEADER		1024
/* A path longer than this cannot name any of our resources: 404. */
#define MAX_PATH		1024
/* Path segments we look at; more cannot match any route. */
#define MAX_SEGMENTS		16

/* Column sizes (characters, as utf8mb4 VARCHAR counts them). */
#define MAX_EMAIL		255	/* customers.email, users.username */
#define MAX_NAME		100	/* first_name, last_name, city */
#define MAX_ADDRESS_LINE	255	/* addresses.address1, address2 */
#define MAX_ZIP			15	/* addresses.zip_code */
#define MAX_USER_AGENT		255	/* audit_log.user_agent, truncated */

/* Mail: a subject of the catalogue is one line of at most MAX_SUBJECT
 * bytes (catalog_check()); the header block of a message with two
 * addresses of MAX_EMAIL and such a subject, RFC 2047 encoded, takes
 * about 1,200 bytes, so it always fits MAIL_HEADERS_MAX (the mail fuzz
 * target holds every such block under it). */
#define MAX_SUBJECT		200
#define MAIL_HEADERS_MAX	2048

/* Passwords: NIST 800-63B asks for at least 8 and allows at least 64. */
#define MIN_PASSWORD		8
#define MAX_PASSWORD		128	/* bytes; Argon2id hashes any length */

/* Addresses a customer may keep; a bound on what one account can store. */
#define MAX_ADDRESSES		50

/*
 * JSON:API query parameters (contract §10.10).  A query string longer
 * than MAX_QUERY is refused (400 138): what we accept (a few fieldsets,
 * two page numbers) is far shorter.  At most MAX_FIELDSETS fields[TYPE]
 * parameters of MAX_FIELDSET_FIELDS names each (our resources have at
 * most 10 attributes).  Collections answer PAGE_LIMIT_DEFAULT resources
 * when no page[limit] is given and never more than PAGE_LIMIT_MAX; the
 * default holds a whole address book (MAX_ADDRESSES), so a client that
 * does not page sees every address as before.  An offset has at most
 * PAGE_NUMBER_DIGITS digits (below 2^31).
 */
#define MAX_QUERY		2048
#define MAX_PARAM_NAME		64
#define MAX_FIELDSETS		8
#define MAX_FIELDSET_FIELDS	16
#define PAGE_LIMIT_DEFAULT	50
#define PAGE_LIMIT_MAX		100
#define PAGE_NUMBER_DIGITS	9

/* Tokens: 32 random bytes (256 bits, contract §3.4), base64url, no padding. */
#define TOKEN_BYTES		32
#define TOKEN_CHARS		43
/* Keyed BLAKE2b digests stored for tokens, codes and limit scopes. */
#define HASH_BYTES		32
/* The server secret: 32 bytes, kept as 64 hex characters in its file. */
#define SECRET_BYTES		32

/* X-Request-Id: 16 random bytes as lowercase hex. */
#define REQUEST_ID_CHARS	32

/* Codes (contract §5.1): code_length may be configured between these. */
#define MIN_CODE_LENGTH		6
#define MAX_CODE_LENGTH		10
/* Recovery codes (contract §8): a set of RECOVERY_CODES, each 80 random
 * bits (at least 64) as 16 Crockford base32 symbols in groups of 4,
 * "XXXX-XXXX-XXXX-XXXX".  Stored with Argon2id at these parameters
 * (libsodium's minimum is 1 pass, 8 KiB): 0.3-0.9 ms a verification on
 * the development machine (idle to loaded), so checking a whole set stays
 * within a few milliseconds (README: recovery codes, measured). */
#define RECOVERY_CODES		10
#define RECOVERY_BYTES		10
#define RECOVERY_SYMBOLS	16
#define RECOVERY_GROUP		4
#define RECOVERY_CODE_CHARS	19
#define RECOVERY_OPSLIMIT	2
#define RECOVERY_MEMLIMIT	(256 * 1024)
/* crypto_pwhash_str's output with its NUL: mfa_recovery_codes.code_hash. */
#define RECOVERY_HASH_CHARS	128
/* The answer tells how many are left when this many or fewer remain. */
#define RECOVERY_LOW		2

/* Idempotency-Key (contract §9.6): 16-128 characters of IDEM_KEY_CHARS,
 * optionally as a structured-field string ("..."): a UUID (36) or 16
 * random bytes in base64url fit; shorter keys would meet by chance on the
 * routes without an account, where every client shares one scope.  A
 * stored answer is at most IDEM_ANSWER_MAX bytes (the POST answers are
 * below 4 KiB); a larger one is not stored. */
#define IDEM_KEY_MIN		16
#define IDEM_KEY_MAX		128
#define IDEM_KEY_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
				"0123456789-_.:~+/="
#define IDEM_ANSWER_MAX		16384
/* Seconds a request waits for another with its key to end (contract
 * §9.6); then 409 117.  Most requests take well under a second; one that
 * mails (activation, trigger) may take longer, and its retry is told to
 * come back rather than hold a process of the program.  Below the least
 * db_read_timeout (2 s): the wait is a GET_LOCK statement, and a longer
 * one would end as a read timeout (503 110) instead of its answer. */
#define IDEM_LOCK_WAIT		1
/* Expired keys deleted by one request that carries a key. */
#define IDEM_PURGE_BATCH	16

/*
 * Password hashing (contract §11.1): Argon2id, password_memory_kib and
 * password_iterations configurable between these.  The floor is OWASP's
 * minimum for Argon2id (Password Storage Cheat Sheet: m = 19 MiB, t = 2,
 * p = 1); libsodium's Argon2id runs one lane (p = 1), not configurable.
 * The ceilings keep one sign-in within a second and a process's memory
 * within reach (1 GiB: libsodium allocates it per hash and frees it).
 */
#define MIN_PASSWORD_MEMORY_KIB	19456
#define MAX_PASSWORD_MEMORY_KIB	1048576
#define MIN_PASSWORD_ITERATIONS	2
#define MAX_PASSWORD_ITERATIONS	16
/* crypto_pwhash_str's output with its NUL: customers.password_hash and
 * users.password_hash, VARCHAR(128); at the ceilings it is 100. */
#define PASSWORD_HASH_CHARS	128

/* contract §5.2: max_failures is never above this. */
#define MAX_MAX_FAILURES	100
/* contract §5.2: lockout doubles up to one hour. */
#define MAX_LOCKOUT_SECONDS	3600

/*
 * Database conflicts (contract §9.1).  A unit of work that meets a
 * deadlock (1213) or a lock wait timeout (1205) is run again at most
 * MAX_TX_RETRIES times, after a pause of TX_RETRY_BASE_MS << (attempt - 1)
 * milliseconds plus up to as much again at random, so that the requests
 * that conflicted do not meet again in step: 20-40, 40-80, 80-160,
 * 160-320, 320-640 ms, at most 1.24 s in all.  A deadlock is rare at READ
 * COMMITTED (none in 640 simultaneous first activations, README); the
 * retries are mostly for lock waits of requests piled up on one account
 * (50 parallel requests of one account as plain CGI: 13 needed a third
 * attempt, none a fourth).  So a request waits at most about 6 s for an
 * account's lock (6 x DB_LOCK_WAIT_TIMEOUT) before it is answered 503.
 */
#define MAX_TX_RETRIES		5
#define TX_RETRY_BASE_MS	20
/* contract §9.2: seconds a statement waits for a row lock before 1205
 * (innodb_lock_wait_timeout of the programs' sessions).  Below the least
 * db_read_timeout (2), so a long lock wait is a conflict that is retried,
 * never a read timeout that gives the connection up. */
#define DB_LOCK_WAIT_TIMEOUT	1
/* contract §9.9: db_wsrep_sync_wait is a mask of MariaDB's four bits
 * (1 reads, 2 UPDATE and DELETE, 4 INSERT and REPLACE, 8 SHOW). */
#define MAX_WSREP_SYNC_WAIT	15

#endif
